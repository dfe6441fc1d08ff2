using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Filtering;

/// <summary>Payload filters through the subscription manager (validated, stored compact) and the publisher (no delivery when they do not match), on a real receiver.</summary>
public sealed class PayloadFilterPublishTests
{
    [Fact]
    public async Task Publish_FilteredSubscription_GetsOnlyMatchingEventsAndNoOtherDeliveries()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("item.created"));
        var high = await Create(host, receiver.Url("/high"), """{"data.priority":"high"}""");
        var highToo = await Create(host, receiver.Url("/high-too"), """{ "data.priority" : "high" }""");
        var all = await Create(host, receiver.Url("/all"), null);

        var results = new List<WebhookPublishResult>();
        foreach (var (id, priority) in new[] { ("I-1", "high"), ("I-2", "low"), ("I-3", "high"), ("I-4", "normal") })
        {
            results.Add(await host.Publisher.PublishAsync("item.created", new { id, priority }));
        }

        results.Select(r => r.DeliveryCount).Should().Equal(3, 1, 3, 1);
        var requests = await receiver.WaitForAsync(8);
        Ids(requests, "/high").Should().Equal("I-1", "I-3");
        Ids(requests, "/high-too").Should().Equal("I-1", "I-3");
        Ids(requests, "/all").Should().Equal("I-1", "I-2", "I-3", "I-4");

        // A filter that does not match creates no delivery at all: nothing pending, nothing failed.
        await Eventually.TrueAsync(
            async () => (await host.Deliveries.GetDeliveriesAsync(null, high.Subscription.Id))!.Items.All(d => d.Status == WebhookDeliveryStatus.Succeeded),
            "the two deliveries recorded as succeeded");
        (await host.Deliveries.GetDeliveriesAsync(null, high.Subscription.Id))!.Items.Should().HaveCount(2);
        (await host.Deliveries.GetDeliveriesAsync(null, highToo.Subscription.Id))!.Items.Should().HaveCount(2);
        (await host.Deliveries.GetDeliveriesAsync(null, all.Subscription.Id))!.Items.Should().HaveCount(4);
    }

    [Fact]
    public async Task Publish_NoSubscriptionMatches_CreatesNoMessageDeliveries()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"));
        await Create(host, receiver.Url(), """{"data.total":{"$gte":100},"data.status":{"$in":["shipped","delivered"]}}""");

        var skipped = await host.Publisher.PublishAsync("order.updated", new { total = 150, status = "pending" });
        var sent = await host.Publisher.PublishAsync("order.updated", new { total = 150, status = "delivered" });

        skipped.DeliveryCount.Should().Be(0);
        sent.DeliveryCount.Should().Be(1);
        Ids(await receiver.WaitForAsync(1), "/hook", "status").Should().Equal("delivered");
    }

    [Fact]
    public async Task Publish_DataFormat_DataPathsMeanThePublishedData()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("item.updated"), o => o.PayloadFormat = WebhookPayloadFormat.Data);
        await Create(host, receiver.Url(), """{"type":"item.updated","data.changes.status.to":"ready-to-build"}""");

        await host.Publisher.PublishAsync("item.updated", new { id = "I-1", changes = new { title = new { from = "a", to = "b" } } });
        await host.Publisher.PublishAsync("item.updated", new { id = "I-2", changes = new { status = new { from = "review", to = "ready-to-build" } } });

        var request = (await receiver.WaitForAsync(1)).Single();
        request.BodyText.Should().Be("""{"id":"I-2","changes":{"status":{"from":"review","to":"ready-to-build"}}}""");
    }

    [Fact]
    public async Task Publish_AttributeFilterAndPayloadFilter_BothMustPass()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("alert.raised"));
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "both",
            Url = receiver.Url(),
            Events = ["alert.raised"],
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["region"] = ["eu"] },
            PayloadFilter = """{"data.severity":{"$in":["error","critical"]}}""",
        });

        var eu = new WebhookPublishOptions { Attributes = new Dictionary<string, string> { ["region"] = "eu" } };
        var us = new WebhookPublishOptions { Attributes = new Dictionary<string, string> { ["region"] = "us" } };
        (await host.Publisher.PublishAsync("alert.raised", new { id = "A-1", severity = "error" }, us)).DeliveryCount.Should().Be(0);
        (await host.Publisher.PublishAsync("alert.raised", new { id = "A-2", severity = "info" }, eu)).DeliveryCount.Should().Be(0);
        (await host.Publisher.PublishAsync("alert.raised", new { id = "A-3", severity = "critical" }, eu)).DeliveryCount.Should().Be(1);

        Ids(await receiver.WaitForAsync(1), "/hook").Should().Equal("A-3");
    }

    [Fact]
    public async Task Create_InvalidFilter_ThrowsValidationNamingPayloadFilterAndTheSpot()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"), start: false);

        var act = () => Create(host, "https://example.com/hook", """{"data.total":{"$gtee":100},"status":"x"}""");

        var error = (await act.Should().ThrowAsync<WebhookValidationException>()).Which;
        error.Errors.Keys.Should().Equal("payloadFilter");
        error.Errors["payloadFilter"].Should().HaveCount(2);
        error.Errors["payloadFilter"][0].Should().StartWith("At 'data.total.$gtee': '$gtee' is not an operator");
        error.Errors["payloadFilter"][1].Should().StartWith("At 'status': 'status' is not a path of the event");
        (await host.Subscriptions.ListAsync(null)).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task CreateAndUpdate_StoreCompactForm_NullKeepsEmptyRemoves()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.updated"), start: false);
        var created = await Create(host, "https://example.com/hook", """
            {
              "data.total": { "$gte": 100 },
              "data.status": { "$in": [ "shipped", "delivered" ] }
            }
            """);
        created.Subscription.PayloadFilter.Should().Be("""{"data.total":{"$gte":100},"data.status":{"$in":["shipped","delivered"]}}""");
        var id = created.Subscription.Id;

        var renamed = await host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { Name = "renamed" });
        renamed!.PayloadFilter.Should().Be(created.Subscription.PayloadFilter, "a patch without the filter keeps it");

        var replaced = await host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { PayloadFilter = """{"data.priority": "high"}""" });
        replaced!.PayloadFilter.Should().Be("""{"data.priority":"high"}""");

        var invalid = () => host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { PayloadFilter = "[1]" });
        (await invalid.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["payloadFilter"].Should().ContainSingle().Which.Should().Contain("must be a JSON object");
        (await host.Subscriptions.GetAsync(null, id))!.PayloadFilter.Should().Be("""{"data.priority":"high"}""");

        (await host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { PayloadFilter = "{}" }))!.PayloadFilter.Should().BeNull();
        await host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { PayloadFilter = """{"data.a":1}""" });
        (await host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { PayloadFilter = "" }))!.PayloadFilter.Should().BeNull();
    }

    private static Task<WebhookSubscriptionWithSecret> Create(WebhookHost host, string url, string? payloadFilter) =>
        host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "sub-" + Guid.NewGuid().ToString("N")[..8],
            Url = url,
            Events = ["*"],
            PayloadFilter = payloadFilter,
        });

    private static List<string> Ids(IEnumerable<ReceivedRequest> requests, string path, string field = "id") =>
        [.. requests.Where(r => r.Path == path)
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty(field).GetString()!)
            .Order(StringComparer.Ordinal)];
}
