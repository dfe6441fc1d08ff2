using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.Scenarios.Tests.Infrastructure;

namespace Webhooks.Scenarios.Tests;

/// <summary>
/// Seed 000, Ekso: nine events over four resources, each event pointed at a URL (several events
/// may share one), per tenant, configured only by callers with the Manage role.
/// </summary>
public sealed class EksoTests
{
    private static readonly (string Name, string Description, string Resource)[] Events =
    [
        ("item-add", "A new item is created", "item"),
        ("item-update", "An existing item is modified", "item"),
        ("item-delete", "An item is deleted", "item"),
        ("user-add", "A new user is added to the tenant", "user"),
        ("user-delete", "A user is removed from the tenant", "user"),
        ("container-add", "A new container is created", "container"),
        ("container-delete", "A container is deleted", "container"),
        ("board-add", "A new board is created", "board"),
        ("board-delete", "A board is deleted", "board"),
    ];

    private static Task<ProductHost> StartEksoAsync() => ProductHost.StartAsync(
        webhooks: w =>
        {
            foreach (var (name, description, resource) in Events)
            {
                w.AddEventType(name, description, resource);
            }

            w.AddEndpoints(o => o.OwnerClaimType = "tenant"); // webhooks belong to the tenant, not to one admin
        },
        map: app => app.MapWebhooks("/settings/hooks").RequireAuthorization("Manage"));

    [Fact]
    public async Task Events_EachPointedAtItsUrl_ArriveWhereConfiguredAndUnconfiguredSendNothing()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var ekso = await StartEksoAsync();
        var tenant = "acme-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = ekso.Client("alice", tenant, "Manage");

        // Settings > Hooks: one URL per event; item-add and item-update share one, user events share another.
        var config = new Dictionary<string, string>
        {
            ["item-add"] = "/items",
            ["item-update"] = "/items",
            ["item-delete"] = "/deleted-items",
            ["user-add"] = "/users",
            ["user-delete"] = "/users",
            ["board-add"] = "/boards",
        };
        var secrets = new Dictionary<string, string>();
        foreach (var (eventName, path) in config)
        {
            var created = await (await admin.PostJsonAsync("/settings/hooks", new { name = eventName, url = receiver.Url(path), events = new[] { eventName } })).JsonAsync(HttpStatusCode.Created);
            secrets[eventName] = created["secret"]!.GetValue<string>();
        }

        // The app emits all nine events for the tenant; container-add, container-delete and board-delete have no URL.
        var id = 0;
        foreach (var (name, _, resource) in Events)
        {
            await ekso.Publisher.PublishAsync(name, new { resource, id = ++id }, new WebhookPublishOptions { Owner = tenant });
        }

        await receiver.WaitForAsync(config.Count);
        await Task.Delay(300); // room for a wrong extra request to show up
        var requests = receiver.Requests;
        requests.Should().HaveCount(config.Count, "only events with a URL assigned are sent");
        foreach (var request in requests)
        {
            request.Method.Should().Be("POST");
            var type = request.Json()["type"]!.GetValue<string>();
            request.Path.Should().Be(config[type], "each event goes to the URL configured for it");
            request.ShouldBeSignedWith(secrets[type]);
        }

        requests.Where(r => r.Path == "/items").Select(r => r.Json()["type"]!.GetValue<string>())
            .Should().BeEquivalentTo(["item-add", "item-update"], "the event type in the payload tells events sharing a URL apart");
        requests.Where(r => r.Path == "/users").Select(r => r.Json()["type"]!.GetValue<string>())
            .Should().BeEquivalentTo(["user-add", "user-delete"]);
        requests.Select(r => r.Json()["type"]!.GetValue<string>()).Should().NotContain(["container-add", "container-delete", "board-delete"]);
        requests.Single(r => r.Path == "/deleted-items").Json()["data"]!["id"]!.GetValue<int>().Should().Be(3);
    }

    [Fact]
    public async Task Configuration_WithoutManageRole_IsForbidden()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var ekso = await StartEksoAsync();
        var tenant = "acme-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = ekso.Client("alice", tenant, "Manage");
        using var member = ekso.Client("bob", tenant, "Member");
        using var anonymous = ekso.Client(null);
        var hook = await (await admin.PostJsonAsync("/settings/hooks", new { name = "item-add", url = receiver.Url(), events = new[] { "item-add" } })).JsonAsync(HttpStatusCode.Created);
        var hookUrl = "/settings/hooks/" + hook["id"]!.GetValue<string>();

        (await member.GetAsync("/settings/hooks")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await member.GetAsync(hookUrl)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await member.GetAsync("/settings/hooks/event-types")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await member.PostJsonAsync("/settings/hooks", new { name = "user-add", url = receiver.Url(), events = new[] { "user-add" } })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await member.SendJsonAsync(HttpMethod.Put, hookUrl, """{"url":"http://127.0.0.1:1/evil"}""")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await member.DeleteAsync(hookUrl)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await anonymous.GetAsync("/settings/hooks")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        // The admin still sees the hook unchanged, and a second admin of the same tenant shares it.
        using var otherAdmin = ekso.Client("carol", tenant, "Manage");
        var list = await (await otherAdmin.GetAsync("/settings/hooks")).JsonAsync(HttpStatusCode.OK);
        list["items"]!.AsArray().Should().ContainSingle().Which!["url"]!.GetValue<string>().Should().Be(receiver.Url());
        var catalog = await (await admin.GetAsync("/settings/hooks/event-types")).JsonAsync(HttpStatusCode.OK);
        catalog["groups"]!.AsArray().Select(g => g!["name"]!.GetValue<string>()).Should().BeEquivalentTo(["item", "user", "container", "board"]);

        await ekso.Publisher.PublishAsync("item-add", new { id = 1 }, new WebhookPublishOptions { Owner = tenant });
        (await receiver.WaitForAsync(1))[0].Path.Should().Be("/hook", "the forbidden update changed nothing");
    }
    [Fact]
    public async Task UseCases_SlackForHighPriorityItems_BuildWhenItemMovesToStatus_OnlyMatchingEventsAreSent()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var ekso = await StartEksoAsync();
        var tenant = "acme-" + Guid.NewGuid().ToString("N")[..6];
        using var admin = ekso.Client("alice", tenant, "Manage");

        // Seed 000's use cases, with a payload filter each: post to chat when a high-priority item is
        // created; kick off a build when an item moves to "Ready for build" (or "Hotfix").
        var slack = await (await admin.PostJsonAsync("/settings/hooks", new
        {
            name = "slack-high-priority",
            url = receiver.Url("/slack"),
            events = new[] { "item-add" },
            payloadFilter = new Dictionary<string, object> { ["data.priority"] = "high" },
        })).JsonAsync(HttpStatusCode.Created);
        await (await admin.PostJsonAsync("/settings/hooks", new
        {
            name = "ci-build",
            url = receiver.Url("/build"),
            events = new[] { "item-update" },
            payloadFilter = new Dictionary<string, object> { ["data.status"] = new Dictionary<string, object> { ["$in"] = new[] { "Ready for build", "Hotfix" } } },
        })).JsonAsync(HttpStatusCode.Created);
        slack["payloadFilter"]!["data.priority"]!.GetValue<string>().Should().Be("high", "the filter reads back as saved");

        // A filter that cannot work is refused at save time, naming the spot.
        var bad = await admin.PostJsonAsync("/settings/hooks", new
        {
            name = "broken",
            url = receiver.Url("/broken"),
            events = new[] { "item-add" },
            payloadFilter = new Dictionary<string, object> { ["data.priority"] = new Dictionary<string, object> { ["$like"] = "high" } },
        });
        (await bad.ValidationErrorsAsync()).Keys.Should().ContainSingle().Which.Should().StartWith("payloadFilter");

        async Task<int> PublishAsync(string type, object data) =>
            (await ekso.Publisher.PublishAsync(type, data, new WebhookPublishOptions { Owner = tenant })).DeliveryCount;

        (await PublishAsync("item-add", new { id = 1, title = "Typo on the login page", priority = "low" })).Should().Be(0, "a filter that does not match creates no delivery");
        (await PublishAsync("item-add", new { id = 2, title = "Checkout is down", priority = "high" })).Should().Be(1);
        (await PublishAsync("item-add", new { id = 3, title = "No priority set" })).Should().Be(0);
        (await PublishAsync("item-update", new { id = 1, status = "In progress" })).Should().Be(0);
        (await PublishAsync("item-update", new { id = 1, status = "Ready for build" })).Should().Be(1);
        (await PublishAsync("item-update", new { id = 2, status = "Hotfix" })).Should().Be(1);

        await receiver.WaitForAsync(3);
        await Task.Delay(300); // room for a wrong extra request to show up
        receiver.Requests.Should().HaveCount(3);
        receiver.Requests.Single(r => r.Path == "/slack").Json()["data"]!["title"]!.GetValue<string>().Should().Be("Checkout is down");
        receiver.Requests.Where(r => r.Path == "/build").Select(r => r.Json()["data"]!["status"]!.GetValue<string>())
            .Should().BeEquivalentTo(["Ready for build", "Hotfix"]);
    }
}
