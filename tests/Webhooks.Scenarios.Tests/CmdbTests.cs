using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.Scenarios.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests;

/// <summary>
/// Seed 003, CMDB: webhooks (name, URL, event types, active) on object create, update and delete;
/// create sends the full object, update the updated object with the changed fields, delete the
/// object as it was; inactive webhooks are not evaluated; past executions are readable.
/// </summary>
public sealed class CmdbTests
{
    private const string Hooks = "/toolbox/webhooks";

    private static Task<ProductHost> StartCmdbAsync() => ProductHost.StartAsync(
        webhooks: w => w
            .AddResource("object", description: "CMDB object") // object.created, object.updated, object.deleted
            .AddEndpoints()
            .AddOwnerResolver<CmdbOwnerResolver>(),
        map: app =>
        {
            app.MapWebhooks(Hooks).RequireAuthorization("Manage");
            CmdbObjects.Map(app);
        });

    [Fact]
    public async Task ObjectLifecycle_EachWebhookReceivesTheObjectAsTheEventDefines()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var cmdb = await StartCmdbAsync();
        using var admin = cmdb.Client("admin", null, "Manage");
        var inventory = await CreateHookAsync(admin, "Notify inventory", receiver.Url("/api/object-created"), "object.created");
        var sync = await CreateHookAsync(admin, "Sync to External CMDB", receiver.Url("/sync"), "object.created", "object.updated", "object.deleted");
        var audit = await CreateHookAsync(admin, "Audit deletions", receiver.Url("/webhooks/object-deleted"), "object.deleted");

        var server = await (await admin.PostJsonAsync("/objects", new { name = "srv-01", type = "server", os = "Debian 12", location = "DC1" })).JsonAsync(HttpStatusCode.Created);
        var id = server["id"]!.GetValue<int>();
        (await admin.SendJsonAsync(HttpMethod.Patch, $"/objects/{id}", """{"os":"Debian 13","location":"DC2"}""")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await admin.DeleteAsync($"/objects/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var requests = await receiver.WaitForAsync(5);
        await Task.Delay(200);
        receiver.Requests.Should().HaveCount(5, "inventory gets create, sync all three, audit the delete");
        var created = requests.Single(r => r.Path == "/api/object-created").ShouldBeSignedWith(inventory).Json();
        created["type"]!.GetValue<string>().Should().Be("object.created");
        created["data"]!.ToJsonString().Should().Be($$"""{"id":{{id}},"name":"srv-01","type":"server","os":"Debian 12","location":"DC1"}""", "create sends the full object");

        var syncs = requests.Where(r => r.Path == "/sync").Select(r => r.ShouldBeSignedWith(sync).Json()).ToDictionary(j => j["type"]!.GetValue<string>());
        syncs.Keys.Should().BeEquivalentTo(["object.created", "object.updated", "object.deleted"]);
        var updated = syncs["object.updated"]["data"]!;
        updated["object"]!.ToJsonString().Should().Be($$"""{"id":{{id}},"name":"srv-01","type":"server","os":"Debian 13","location":"DC2"}""", "update sends the updated object");
        updated["changes"]!.ToJsonString().Should().Be("""{"os":{"old":"Debian 12","new":"Debian 13"},"location":{"old":"DC1","new":"DC2"}}""", "with the changed fields");

        var deleted = requests.Single(r => r.Path == "/webhooks/object-deleted").ShouldBeSignedWith(audit).Json();
        deleted["data"]!.ToJsonString().Should().Be($$"""{"id":{{id}},"name":"srv-01","type":"server","os":"Debian 13","location":"DC2"}""", "delete sends the object as it was before deletion");
        syncs["object.deleted"]["data"]!.ToJsonString().Should().Be(deleted["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Webhook_Inactive_IsNotEvaluatedAndLogShowsPastExecutions()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path == "/broken" ? 503 : 200;
            return ctx.Response.WriteAsync(ctx.Request.Path == "/broken" ? "maintenance" : "stored");
        };
        await using var cmdb = await StartCmdbAsync();
        using var admin = cmdb.Client("admin", null, "Manage");
        await CreateHookAsync(admin, "Active", receiver.Url("/active"), "object.created");
        await CreateHookAsync(admin, "Broken", receiver.Url("/broken"), "object.created");
        var inactive = await (await admin.PostJsonAsync(Hooks, new { name = "Paused", url = receiver.Url("/paused"), events = new[] { "object.created" }, active = false })).JsonAsync(HttpStatusCode.Created);
        inactive["active"]!.GetValue<bool>().Should().BeFalse();

        (await admin.PostJsonAsync("/objects", new { name = "ws-07", type = "workstation", os = "Windows 11", location = "HQ" })).StatusCode.Should().Be(HttpStatusCode.Created);

        await receiver.WaitForAsync(4); // active once, broken once plus two retries
        await Task.Delay(300);
        receiver.Requests.Select(r => r.Path).Should().NotContain("/paused", "only webhooks with active = true are evaluated");

        // "View Logs": the executions of every webhook, read from the delivery log of each.
        var hooks = (await (await admin.GetAsync(Hooks)).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray();
        hooks.Should().HaveCount(3);
        var log = new Dictionary<string, JsonArray>();
        await Eventually.TrueAsync(async () =>
        {
            foreach (var hook in hooks)
            {
                log[hook!["name"]!.GetValue<string>()] = (await (await admin.GetAsync($"{Hooks}/{hook["id"]!.GetValue<string>()}/deliveries")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray();
            }

            return log["Broken"].SingleOrDefault()?["status"]!.GetValue<string>() == "failed";
        }, "the broken webhook's delivery to fail");
        log["Paused"].Should().BeEmpty();
        var ok = log["Active"].Should().ContainSingle().Which!;
        ok["status"]!.GetValue<string>().Should().Be("succeeded");
        ok["eventType"]!.GetValue<string>().Should().Be("object.created");
        var brokenHook = hooks.Single(h => h!["name"]!.GetValue<string>() == "Broken")!["id"]!.GetValue<string>();
        var details = await (await admin.GetAsync($"{Hooks}/{brokenHook}/deliveries/{log["Broken"][0]!["id"]!.GetValue<string>()}")).JsonAsync(HttpStatusCode.OK);
        var attempts = details["attempts"]!.AsArray();
        attempts.Should().HaveCount(3);
        attempts.Should().OnlyContain(a => a!["statusCode"]!.GetValue<int>() == 503 && a["responseExcerpt"]!.GetValue<string>() == "maintenance");

        using var reader = cmdb.Client("reader", null, "Read");
        (await reader.GetAsync(Hooks)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    private static async Task<string> CreateHookAsync(HttpClient admin, string name, string url, params string[] events) =>
        (await (await admin.PostJsonAsync(Hooks, new { name, url, events })).JsonAsync(HttpStatusCode.Created))["secret"]!.GetValue<string>();

    /// <summary>The CMDB is one organisation: every administrator manages the same webhooks.</summary>
    private sealed class CmdbOwnerResolver : IWebhookOwnerResolver
    {
        public const string Owner = "cmdb";

        public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<string?>(context.User.Identity?.IsAuthenticated == true ? Owner : null);
    }

    /// <summary>The CMDB's objects: create, update and delete publish the events with the payload each defines.</summary>
    private static class CmdbObjects
    {
        public static void Map(IEndpointRouteBuilder app)
        {
            var objects = new ConcurrentDictionary<int, JsonObject>();
            var nextId = 0;
            var options = new WebhookPublishOptions { Owner = CmdbOwnerResolver.Owner };

            app.MapPost("/objects", async (JsonObject body, IWebhookPublisher webhooks, CancellationToken ct) =>
            {
                var id = Interlocked.Increment(ref nextId);
                var stored = new JsonObject { ["id"] = id };
                foreach (var (key, value) in body)
                {
                    stored[key] = value?.DeepClone();
                }

                objects[id] = stored;
                await webhooks.PublishAsync("object.created", stored, options, ct);
                return Results.Created($"/objects/{id}", stored);
            });

            app.MapPatch("/objects/{id:int}", async (int id, JsonObject body, IWebhookPublisher webhooks, CancellationToken ct) =>
            {
                if (!objects.TryGetValue(id, out var stored))
                {
                    return Results.NotFound();
                }

                var changes = new JsonObject();
                foreach (var (key, value) in body)
                {
                    changes[key] = new JsonObject { ["old"] = stored[key]?.DeepClone(), ["new"] = value?.DeepClone() };
                    stored[key] = value?.DeepClone();
                }

                await webhooks.PublishAsync("object.updated", new JsonObject { ["object"] = stored.DeepClone(), ["changes"] = changes }, options, ct);
                return Results.Ok(stored);
            });

            app.MapDelete("/objects/{id:int}", async (int id, IWebhookPublisher webhooks, CancellationToken ct) =>
            {
                if (!objects.TryRemove(id, out var before))
                {
                    return Results.NotFound();
                }

                await webhooks.PublishAsync("object.deleted", before, options, ct);
                return Results.NoContent();
            });
        }
    }
}
