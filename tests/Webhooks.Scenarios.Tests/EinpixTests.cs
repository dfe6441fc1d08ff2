using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Publishing;
using Webhooks.Core.Signing;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.Scenarios.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests;

/// <summary>
/// Seed 004, Einpix: named webhooks per client, dotted actions, a thin <c>{"entity","id"}</c> body,
/// <c>X-Webhook-Action</c>, <c>X-Webhook-Name</c> and <c>X-Webhook-Signature: sha256=…</c> headers,
/// retries on non-2xx with duplicates recognisable by id, https only in production.
/// </summary>
public sealed class EinpixTests
{
    private static readonly string[] Actions =
    [
        "task.created", "task.status.updated", "task.start_date.updated", "task.end_date.updated", "task.tags.updated",
        "task.category.updated", "task.requires_approval.updated", "task.checklist.updated", "task.comment",
        "client.created", "equipment.created", "venue.created", "task_category.created", "user.created", "tag.created",
        "checklist_template.created", "worklog.created", "worklog.updated", "worklog.deleted",
        "task_material.created", "task_material.updated", "task_material.deleted",
    ];

    private static void Einpix(IWebhooksBuilder w)
    {
        foreach (var action in Actions)
        {
            w.AddEventType(action, group: action.Split('.')[0]);
        }

        w.AddEndpoints(o => o.OwnerClaimType = "tenant"); // the API client owns its webhooks
    }

    private static void EinpixDelivery(WebhookOptions o)
    {
        o.DefaultSignatureScheme = WebhookSignatureSchemes.HmacSha256Hex; // X-Webhook-Signature: sha256=<hex>
        o.EventTypeHeader = "X-Webhook-Action";
        o.SubscriptionNameHeader = "X-Webhook-Name";
        o.PayloadFormat = WebhookPayloadFormat.Data; // the body is the thin reference alone
    }

    private static Task<ProductHost> StartEinpixAsync(Action<WebhookOptions>? more = null, string environment = "Production") => ProductHost.StartAsync(
        Einpix,
        app => app.MapWebhooks("/webhooks"),
        o => { EinpixDelivery(o); more?.Invoke(o); },
        environment: environment);

    private static string NewClient() => "client-" + Guid.NewGuid().ToString("N")[..6];

    [Fact]
    public async Task Webhooks_NamedPerClient_NameUniquePerClientAndActionsValidated()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var einpix = await StartEinpixAsync();
        using var client = einpix.Client("api", NewClient());
        using var otherClient = einpix.Client("api", NewClient());

        (await client.PostJsonAsync("/webhooks", new { name = "task-and-worklog-events", url = receiver.Url(), events = new[] { "task.created", "worklog.created" } })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await client.PostJsonAsync("/webhooks", new { name = "task-events-only", url = receiver.Url(), events = new[] { "task.created" } })).StatusCode.Should().Be(HttpStatusCode.Created, "a client has several webhooks");
        await (await client.PostJsonAsync("/webhooks", new { name = "task-and-worklog-events", url = receiver.Url(), events = new[] { "task.created" } })).ProblemAsync(HttpStatusCode.Conflict);
        (await otherClient.PostJsonAsync("/webhooks", new { name = "task-and-worklog-events", url = receiver.Url(), events = new[] { "task.created" } })).StatusCode.Should().Be(HttpStatusCode.Created, "names are unique per client only");

        (await (await client.PostJsonAsync("/webhooks", new { name = "none", url = receiver.Url(), events = Array.Empty<string>() })).ValidationErrorsAsync()).Should().ContainKey("events");
        (await (await client.PostJsonAsync("/webhooks", new { name = "dup", url = receiver.Url(), events = new[] { "task.created", "task.created" } })).ValidationErrorsAsync()).Should().ContainKey("events");
        (await (await client.PostJsonAsync("/webhooks", new { name = "bad", url = receiver.Url(), events = new[] { "task.created", "task.exploded" } })).ValidationErrorsAsync())["events"]
            .Should().ContainSingle(m => m.Contains("task.exploded", StringComparison.Ordinal));

        var list = await (await client.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
        list["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).Should().BeEquivalentTo(["task-and-worklog-events", "task-events-only"]);
    }

    [Fact]
    public async Task Action_Subscribed_ArrivesThinWithActionNameAndVerifiableSignature()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var einpix = await StartEinpixAsync();
        var clientId = NewClient();
        using var client = einpix.Client("api", clientId);
        var created = await (await client.PostJsonAsync("/webhooks", new { name = "task-and-worklog-events", url = receiver.Url("/webhooks/einpix"), events = new[] { "task.status.updated", "task.comment", "worklog.deleted" } })).JsonAsync(HttpStatusCode.Created);
        var secret = created["secret"]!.GetValue<string>();
        var owner = new WebhookPublishOptions { Owner = clientId };

        await einpix.Publisher.PublishAsync("task.created", new { entity = "task", id = 100 }, owner); // not subscribed
        await einpix.Publisher.PublishAsync("task.status.updated", new { entity = "task", id = 101 }, owner);
        await einpix.Publisher.PublishAsync("task.comment", new { entity = "task_comment", id = 55, task_id = 1 }, owner);
        await einpix.Publisher.PublishAsync("worklog.deleted", new { entity = "worklog", id = 56 }, owner);

        var requests = await receiver.WaitForAsync(3);
        await Task.Delay(200);
        receiver.Requests.Should().HaveCount(3, "task.created is not subscribed");
        var byAction = requests.ToDictionary(r => r.Header("X-Webhook-Action")!);
        byAction.Keys.Should().BeEquivalentTo(["task.status.updated", "task.comment", "worklog.deleted"]);
        byAction["task.status.updated"].BodyText.Should().Be("""{"entity":"task","id":101}""");
        byAction["task.comment"].BodyText.Should().Be("""{"entity":"task_comment","id":55,"task_id":1}""");
        byAction["worklog.deleted"].BodyText.Should().Be("""{"entity":"worklog","id":56}""");
        foreach (var request in requests)
        {
            request.Method.Should().Be("POST");
            request.Path.Should().Be("/webhooks/einpix");
            request.Header("Content-Type").Should().StartWith("application/json");
            request.Header("X-Webhook-Name").Should().Be("task-and-worklog-events");
            var signature = request.Header("X-Webhook-Signature");
            signature.Should().Be(Receiving.HmacSha256Hex(secret, request.Body), "the receiver recomputes the HMAC of the raw body with its secret");
            new WebhookVerifier(secret).VerifyHmacSha256Hex(signature, request.Body).IsValid.Should().BeTrue();
            new WebhookVerifier(secret).VerifyHmacSha256Hex(signature, [.. request.Body, (byte)' ']).IsValid.Should().BeFalse("a changed body does not verify");
        }
    }

    [Fact]
    public async Task Receiver_Non2xx_IsRetriedAndDuplicateRecognisedById()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var processed = new ConcurrentDictionary<string, int>();
        receiver.Responder = (ctx, n) =>
        {
            // An idempotent receiver: processes each webhook-id once, and here fails its first answer
            // after processing (as a crash before replying would), so the retry is a duplicate.
            var id = ctx.Request.Headers["webhook-id"].ToString();
            processed.AddOrUpdate(id, 1, (_, c) => c);
            ctx.Response.StatusCode = n == 1 ? StatusCodes.Status502BadGateway : StatusCodes.Status200OK;
            return Task.CompletedTask;
        };
        await using var einpix = await StartEinpixAsync();
        var clientId = NewClient();
        using var client = einpix.Client("api", clientId);
        var created = await (await client.PostJsonAsync("/webhooks", new { name = "worklogs", url = receiver.Url(), events = new[] { "worklog.created" } })).JsonAsync(HttpStatusCode.Created);

        await einpix.Publisher.PublishAsync("worklog.created", new { entity = "worklog", id = 55 }, new WebhookPublishOptions { Owner = clientId });

        var requests = await receiver.WaitForAsync(2);
        requests[1].Header("webhook-id").Should().NotBeNullOrEmpty().And.Be(requests[0].Header("webhook-id"), "a retry carries the same id");
        requests[1].BodyText.Should().Be(requests[0].BodyText);
        requests[1].Header("X-Webhook-Signature").Should().Be(Receiving.HmacSha256Hex(created["secret"]!.GetValue<string>(), requests[1].Body));
        processed.Should().ContainSingle().Which.Value.Should().Be(1, "the duplicate was recognised and not processed again");
        await Task.Delay(200);
        receiver.Requests.Should().HaveCount(2, "a 2xx answer ends the retries");
    }

    [Fact]
    public async Task Url_InProduction_MustBeHttps()
    {
        await using var einpix = await ProductHost.StartAsync(
            Einpix,
            app => app.MapWebhooks("/webhooks"),
            o =>
            {
                EinpixDelivery(o);
                o.AllowHttp = false; // the library's default, restored over the test host's loopback convenience
                o.Network.AllowLoopback = false;
                o.Network.AllowedHosts = ["client-domain.com"]; // saved, never called here
            });
        using var client = einpix.Client("api", NewClient());

        var errors = await (await client.PostJsonAsync("/webhooks", new { name = "plain", url = "http://client-domain.com/webhooks/einpix", events = new[] { "task.created" } })).ValidationErrorsAsync();
        errors["url"].Should().ContainSingle(m => m.Contains("https", StringComparison.Ordinal));
        (await client.PostJsonAsync("/webhooks", new { name = "tls", url = "https://client-domain.com/webhooks/einpix", events = new[] { "task.created" } })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await (await client.PostJsonAsync("/webhooks", new { name = "local", url = "https://127.0.0.1/webhooks", events = new[] { "task.created" } })).ValidationErrorsAsync()).Should().ContainKey("url", "a public endpoint is required");
    }
}
