using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Catalog;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.Scenarios.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests;

/// <summary>
/// Seed 001, Elastio: webhooks with a name, URL, description and an auth option; "Test webhook"
/// before and after saving; events chosen by type, version and severity; success and failure
/// counts and history for a widget and a graph; edit and delete.
/// </summary>
public sealed class ElastioTests
{
    private const string Hooks = "/settings/webhooks";

    private static Task<ProductHost> StartElastioAsync() => ProductHost.StartAsync(
        webhooks: w => w
            .AddEventType(new WebhookEventType("backup.completed") { Group = "backup", Version = "V0", Description = "A backup job completed." })
            .AddEventType(new WebhookEventType("backup.failed") { Group = "backup", Version = "V0", Description = "A backup job failed." })
            .AddEventType(new WebhookEventType("threat.detected") { Group = "security", Version = "V0", Description = "Ransomware or malware was found in a recovery point." })
            .AddEndpoints(o => o.OwnerClaimType = "tenant"),
        map: app => app.MapWebhooks(Hooks).RequireAuthorization("Manage"),
        options: o => o.RetrySchedule = []); // one invocation per event, so the counts are invocations

    private static string NewTenant() => "tenant-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Publishes as Elastio does: the event's version and severity are attributes subscriptions filter on.</summary>
    private static Task<WebhookPublishResult> EmitAsync(ProductHost elastio, string tenant, string type, string severity, object data, string version = "V0") =>
        elastio.Publisher.PublishAsync(type, data, new WebhookPublishOptions
        {
            Owner = tenant,
            Attributes = new Dictionary<string, string>
            {
                ["severity"] = severity,
                ["version"] = version,
                ["selection"] = $"{type}/{version}/{severity}", // one value per (type, version, severity) row of the "Select events" step
            },
        });

    public static TheoryData<string, string, string?> AuthOptions => new()
    {
        { "none", """{"type":"none"}""", null },
        { "basic", """{"type":"basic","username":"ops","password":"s3cr3t!"}""", "Authorization=Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("ops:s3cr3t!")) },
        { "bearer", """{"type":"bearer","token":"eyJhbGciOi.tok"}""", "Authorization=Bearer eyJhbGciOi.tok" },
        { "api key", """{"type":"apiKey","headerName":"X-Api-Key","key":"k-123456"}""", "X-Api-Key=k-123456" },
    };

    [Theory]
    [MemberData(nameof(AuthOptions))]
    public async Task Webhook_EachAuthOption_ArrivesAsConfigured(string option, string auth, string? expectedHeader)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var elastio = await StartElastioAsync();
        var tenant = NewTenant();
        using var admin = elastio.Client("admin", tenant, "Manage");

        var body = $$"""{"name":"PagerDuty ({{option}})","url":"{{receiver.Url("/pd")}}","description":"Route failures to on-call","auth":{{auth}},"events":["backup.failed"]}""";
        var created = await (await admin.SendJsonAsync(HttpMethod.Post, Hooks, body)).JsonAsync(HttpStatusCode.Created);
        await EmitAsync(elastio, tenant, "backup.failed", "error", new { job = "nightly" });

        var request = (await receiver.WaitForAsync(1))[0].ShouldBeSignedWith(created["secret"]!.GetValue<string>());
        request.Path.Should().Be("/pd");
        if (expectedHeader is null)
        {
            request.Header("Authorization").Should().BeNull();
        }
        else
        {
            var (name, value) = (expectedHeader.Split('=', 2)[0], expectedHeader.Split('=', 2)[1]);
            request.Header(name).Should().Be(value);
        }

        var read = await (await admin.GetAsync($"{Hooks}/{created["id"]!.GetValue<string>()}")).JsonAsync(HttpStatusCode.OK);
        read["name"]!.GetValue<string>().Should().Be($"PagerDuty ({option})");
        read["description"]!.GetValue<string>().Should().Be("Route failures to on-call");
        read["url"]!.GetValue<string>().Should().Be(receiver.Url("/pd"));
        read["auth"]!["type"]!.GetValue<string>().Should().Be(JsonNode.Parse(auth)!["type"]!.GetValue<string>());
        read.ToJsonString().Should().NotContain("s3cr3t!").And.NotContain("eyJhbGciOi.tok").And.NotContain("k-123456", "auth values are never shown again");
    }

    public static TheoryData<string, string> BadAuth => new()
    {
        { "password over 255 bytes", $$"""{"type":"basic","username":"ops","password":"{{new string('p', 256)}}"}""" },
        { "token over 255 bytes", $$"""{"type":"bearer","token":"{{new string('t', 256)}}"}""" },
        { "api key over 255 bytes", $$"""{"type":"apiKey","headerName":"X-Api-Key","key":"{{new string('k', 256)}}"}""" },
        { "non-ASCII token", """{"type":"bearer","token":"tökén"}""" },
        { "non-ASCII user name", """{"type":"basic","username":"jörg","password":"pw"}""" },
        { "255 bytes of two-byte characters", $$"""{"type":"apiKey","headerName":"X-Api-Key","key":"{{new string('é', 128)}}"}""" },
    };

    [Theory]
    [MemberData(nameof(BadAuth))]
    public async Task Webhook_AuthOver255BytesOrNonAscii_IsRefused(string because, string auth)
    {
        await using var elastio = await StartElastioAsync();
        using var admin = elastio.Client("admin", NewTenant(), "Manage");

        var response = await admin.SendJsonAsync(HttpMethod.Post, Hooks, $$"""{"name":"x","url":"http://127.0.0.1:9/x","auth":{{auth}},"events":["backup.failed"]}""");

        (await response.ValidationErrorsAsync()).Keys.Should().ContainSingle(k => k.StartsWith("auth.", StringComparison.Ordinal), because);
        var longest = await admin.SendJsonAsync(HttpMethod.Post, Hooks, $$"""{"name":"ok","url":"http://127.0.0.1:9/x","auth":{"type":"bearer","token":"{{new string('t', 255)}}"},"events":["backup.failed"]}""");
        longest.StatusCode.Should().Be(HttpStatusCode.Created, "255 ASCII bytes is the limit, inclusive");
    }

    [Fact]
    public async Task TestWebhook_BeforeAndAfterSaving_ReachesReceiverAndReportsOutcome()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == "/wrong" ? 404 : 200;
            return Task.CompletedTask;
        };
        await using var elastio = await StartElastioAsync();
        using var admin = elastio.Client("admin", NewTenant(), "Manage");
        const string Auth = """{"type":"apiKey","headerName":"X-Api-Key","key":"k-42"}""";

        // In the "Create new" pop-up, before saving: a wrong URL, then the right one.
        var wrong = await (await admin.SendJsonAsync(HttpMethod.Post, $"{Hooks}/test", $$"""{"url":"{{receiver.Url("/wrong")}}","auth":{{Auth}}}""")).JsonAsync(HttpStatusCode.OK);
        wrong["succeeded"]!.GetValue<bool>().Should().BeFalse();
        wrong["statusCode"]!.GetValue<int>().Should().Be(404);
        var right = await (await admin.SendJsonAsync(HttpMethod.Post, $"{Hooks}/test", $$"""{"url":"{{receiver.Url("/alerts")}}","auth":{{Auth}}}""")).JsonAsync(HttpStatusCode.OK);
        right["succeeded"]!.GetValue<bool>().Should().BeTrue();

        // Saved, then tested from the edit page.
        var created = await (await admin.SendJsonAsync(HttpMethod.Post, Hooks, $$"""{"name":"alerts","url":"{{receiver.Url("/alerts")}}","auth":{{Auth}},"events":["threat.detected"]}""")).JsonAsync(HttpStatusCode.Created);
        var saved = await (await admin.SendJsonAsync(HttpMethod.Post, $"{Hooks}/{created["id"]!.GetValue<string>()}/test", null)).JsonAsync(HttpStatusCode.OK);
        saved["succeeded"]!.GetValue<bool>().Should().BeTrue();
        saved["statusCode"]!.GetValue<int>().Should().Be(200);

        var requests = await receiver.WaitForAsync(3);
        requests.Select(r => r.Path).Should().Equal("/wrong", "/alerts", "/alerts");
        requests.Should().OnlyContain(r => r.Header("X-Api-Key") == "k-42" && r.Json()["type"]!.GetValue<string>() == "webhook.test");
        requests[2].ShouldBeSignedWith(created["secret"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_ChosenByTypeVersionAndSeverity_OnlyMatchingAreDelivered()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var elastio = await StartElastioAsync();
        var tenant = NewTenant();
        using var admin = elastio.Client("admin", tenant, "Manage");
        var catalog = await (await admin.GetAsync($"{Hooks}/event-types")).JsonAsync(HttpStatusCode.OK);
        catalog["groups"]!.AsArray().SelectMany(g => g!["eventTypes"]!.AsArray()).Should().OnlyContain(t => t!["version"]!.GetValue<string>() == "V0", "the select-event step offers type and version");

        var created = await (await admin.PostJsonAsync(Hooks, new
        {
            name = "SIEM",
            url = receiver.Url(),
            events = new[] { "backup.failed", "threat.detected" },
            filter = new Dictionary<string, string[]> { ["severity"] = ["error", "critical"], ["version"] = ["V0"] },
        })).JsonAsync(HttpStatusCode.Created);

        await EmitAsync(elastio, tenant, "backup.completed", "error", new { n = 1 });          // type not chosen
        await EmitAsync(elastio, tenant, "backup.failed", "warning", new { n = 2 });           // severity not chosen
        await EmitAsync(elastio, tenant, "threat.detected", "critical", new { n = 3 }, "V1");  // version not chosen
        await EmitAsync(elastio, tenant, "backup.failed", "error", new { n = 4 });
        await EmitAsync(elastio, tenant, "threat.detected", "critical", new { n = 5 });

        await receiver.WaitForAsync(2);
        await Task.Delay(300);
        var received = receiver.Requests;
        received.Should().HaveCount(2);
        received.Select(r => r.ShouldBeSignedWith(created["secret"]!.GetValue<string>()).Json()["data"]!["n"]!.GetValue<int>()).Should().BeEquivalentTo([4, 5]);
    }

    [Fact]
    public async Task Events_EachWithItsOwnSeverities_OnlySelectedRowsAreDelivered()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var elastio = await StartElastioAsync();
        var tenant = NewTenant();
        using var admin = elastio.Client("admin", tenant, "Manage");

        // The list built in step two: backup.failed only when critical, threat.detected from warning up.
        await (await admin.PostJsonAsync(Hooks, new
        {
            name = "On-call",
            url = receiver.Url(),
            events = new[] { "backup.failed", "threat.detected" },
            filter = new Dictionary<string, string[]> { ["selection"] = ["backup.failed/V0/critical", "threat.detected/V0/warning", "threat.detected/V0/critical"] },
        })).JsonAsync(HttpStatusCode.Created);

        await EmitAsync(elastio, tenant, "backup.failed", "warning", new { n = 1 });
        await EmitAsync(elastio, tenant, "backup.failed", "critical", new { n = 2 });
        await EmitAsync(elastio, tenant, "threat.detected", "warning", new { n = 3 });
        await EmitAsync(elastio, tenant, "threat.detected", "info", new { n = 4 });

        await receiver.WaitForAsync(2);
        await Task.Delay(300);
        receiver.Requests.Select(r => r.Json()["data"]!["n"]!.GetValue<int>()).Should().BeEquivalentTo([2, 3], "a warning is enough for threats but not for backups");
    }

    [Fact]
    public async Task Invocations_CountedAndListed_ForTheWidgetAndTheGraph()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == "/down" ? 500 : 204;
            return Task.CompletedTask;
        };
        await using var elastio = await StartElastioAsync();
        var tenant = NewTenant();
        using var admin = elastio.Client("admin", tenant, "Manage");
        var up = (await (await admin.PostJsonAsync(Hooks, new { name = "up", url = receiver.Url("/up"), events = new[] { "backup.completed", "backup.failed" } })).JsonAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();
        var down = (await (await admin.PostJsonAsync(Hooks, new { name = "down", url = receiver.Url("/down"), events = new[] { "backup.failed" } })).JsonAsync(HttpStatusCode.Created))["id"]!.GetValue<string>();

        await EmitAsync(elastio, tenant, "backup.completed", "info", new { job = 1 });
        await EmitAsync(elastio, tenant, "backup.completed", "info", new { job = 2 });
        await EmitAsync(elastio, tenant, "backup.failed", "error", new { job = 3 });
        await receiver.WaitForAsync(4);

        // The graph on the edit page: per webhook, per time bucket.
        async Task<JsonNode> Stats(string id) => await (await admin.GetAsync($"{Hooks}/{id}/stats?window=1h&bucket=5m")).JsonAsync(HttpStatusCode.OK);
        await Eventually.TrueAsync(async () => (await Stats(up))["succeeded"]!.GetValue<int>() == 3 && (await Stats(down))["failed"]!.GetValue<int>() == 1, "the four invocations to be counted");
        var upStats = await Stats(up);
        upStats["failed"]!.GetValue<int>().Should().Be(0);
        upStats["buckets"]!.AsArray().Count.Should().BeInRange(12, 13, "an hour in 5-minute buckets, aligned to the clock");
        upStats["buckets"]!.AsArray().Sum(b => b!["succeeded"]!.GetValue<int>()).Should().Be(3);
        (await Stats(down))["succeeded"]!.GetValue<int>().Should().Be(0);

        // The widget on the list page: the tenant's webhooks summed.
        var list = await (await admin.GetAsync(Hooks)).JsonAsync(HttpStatusCode.OK);
        int succeeded = 0, failed = 0;
        foreach (var hook in list["items"]!.AsArray())
        {
            var s = await Stats(hook!["id"]!.GetValue<string>());
            succeeded += s["succeeded"]!.GetValue<int>();
            failed += s["failed"]!.GetValue<int>();
        }

        (succeeded, failed).Should().Be((3, 1));

        // The history behind them.
        var history = await (await admin.GetAsync($"{Hooks}/{down}/deliveries")).JsonAsync(HttpStatusCode.OK);
        var failure = history["items"]!.AsArray().Should().ContainSingle().Which!;
        failure["status"]!.GetValue<string>().Should().Be("failed");
        failure["eventType"]!.GetValue<string>().Should().Be("backup.failed");
        failure["lastStatusCode"]!.GetValue<int>().Should().Be(500);
        (await (await admin.GetAsync($"{Hooks}/{up}/deliveries?status=succeeded")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Should().HaveCount(3);
    }

    [Fact]
    public async Task Webhook_EditedThenDeleted_DeliversAsEditedThenNothing()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var elastio = await StartElastioAsync();
        var tenant = NewTenant();
        using var admin = elastio.Client("admin", tenant, "Manage");
        var created = await (await admin.SendJsonAsync(HttpMethod.Post, Hooks, $$"""{"name":"ops","url":"{{receiver.Url("/old")}}","auth":{"type":"bearer","token":"old-token"},"events":["backup.failed"]}""")).JsonAsync(HttpStatusCode.Created);
        var url = $"{Hooks}/{created["id"]!.GetValue<string>()}";

        var edited = await (await admin.SendJsonAsync(HttpMethod.Put, url, $$"""{"name":"ops (new)","description":"moved","url":"{{receiver.Url("/new")}}","auth":{"type":"basic","username":"u","password":"p"},"events":["backup.failed","threat.detected"]}""")).JsonAsync(HttpStatusCode.OK);
        edited["name"]!.GetValue<string>().Should().Be("ops (new)");
        await EmitAsync(elastio, tenant, "threat.detected", "critical", new { n = 1 });
        var request = (await receiver.WaitForAsync(1))[0].ShouldBeSignedWith(created["secret"]!.GetValue<string>());
        request.Path.Should().Be("/new");
        request.Header("Authorization").Should().Be("Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("u:p")));

        (await admin.DeleteAsync(url)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await admin.GetAsync(Hooks)).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Should().BeEmpty();
        await EmitAsync(elastio, tenant, "threat.detected", "critical", new { n = 2 });
        await Task.Delay(300);
        receiver.Requests.Should().ContainSingle("a deleted webhook is not invoked");
    }
}
