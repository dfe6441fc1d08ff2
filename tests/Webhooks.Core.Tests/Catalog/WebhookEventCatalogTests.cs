using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Core.Catalog;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Catalog;

public sealed class WebhookEventCatalogTests
{
    public sealed record OrderPayload(int Id, string Customer, decimal Total);

    private static readonly WebhookEvent<OrderPayload> OrderPlaced = new("order.placed", "An order was placed.") { Group = "order", Version = "v1" };

    [Fact]
    public async Task Catalog_ListsEverySpellingAndResourceStyleRegistration()
    {
        await using var host = await WebhookHost.StartAsync(b => b
            .AddEventType("item-add", "A new item is created", group: "item")
            .AddEventType("task.status.updated")
            .AddEventType(new WebhookEventType("backup.failed") { Version = "V0", Deprecated = true, Description = "d" })
            .AddResource("order")
            .AddResource("contact", "on_create", "on_update"), start: false);
        var catalog = host.Services.GetRequiredService<IWebhookEventCatalog>();

        catalog.EventTypes.Select(e => e.Name).Should().Equal(
            "item-add", "task.status.updated", "backup.failed", "order.created", "order.updated", "order.deleted", "contact.on_create", "contact.on_update");
        catalog.Find("order.updated")!.Group.Should().Be("order");
        catalog.Find("backup.failed")!.Deprecated.Should().BeTrue();
        catalog.Find("Order.Updated").Should().BeNull("names are case-sensitive");
    }

    [Fact]
    public async Task AddResource_SubsetOfTriggers_RegistersOnlyThose()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddResource("invoice", WebhookTriggers.Create | WebhookTriggers.Delete), start: false);

        host.Services.GetRequiredService<IWebhookEventCatalog>().EventTypes.Select(e => e.Name).Should().Equal("invoice.created", "invoice.deleted");
    }

    [Fact]
    public async Task TypedRegistration_GeneratesJsonSchemaOfPayload()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType(OrderPlaced), start: false);

        var type = host.Services.GetRequiredService<IWebhookEventCatalog>().Find("order.placed")!;

        type.Version.Should().Be("v1");
        type.PayloadType.Should().Be<OrderPayload>();
        var properties = type.Schema!.Value.GetProperty("properties");
        properties.GetProperty("customer").GetProperty("type").ToString().Should().Contain("string");
        properties.GetProperty("total").GetProperty("type").ToString().Should().Contain("number");
    }

    [Fact]
    public async Task TypedRegistration_WithDetails_KeepsTheHandlesAndAddsDeprecatedAndRetrySchedule()
    {
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType(OrderPlaced, o =>
            {
                o.Deprecated = true;
                o.RetrySchedule = [TimeSpan.FromMinutes(1), TimeSpan.FromHours(6)];
            }),
            start: false);

        var type = host.Services.GetRequiredService<IWebhookEventCatalog>().Find("order.placed")!;

        type.Description.Should().Be("An order was placed.", "the options start from the handle");
        type.Group.Should().Be("order");
        type.Version.Should().Be("v1");
        type.Deprecated.Should().BeTrue();
        type.RetrySchedule.Should().Equal(TimeSpan.FromMinutes(1), TimeSpan.FromHours(6));
        type.PayloadType.Should().Be<OrderPayload>();
        type.Schema.Should().NotBeNull();
    }

    [Fact]
    public async Task TypedPublish_UsesRegisteredTypeAndDelivers()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType(OrderPlaced));
        await host.Subscriptions.CreateAsync(null, new() { Name = "n", Url = receiver.Url(), Events = ["order.*"] });

        var result = await host.Publisher.PublishAsync(OrderPlaced, new OrderPayload(5, "carol", 12.5m));

        result.DeliveryCount.Should().Be(1);
        using var doc = JsonDocument.Parse((await receiver.WaitForAsync(1))[0].Body);
        doc.RootElement.GetProperty("data").GetProperty("customer").GetString().Should().Be("carol");
    }

    [Fact]
    public async Task Publish_UnknownType_ThrowsNamingTypeAndKnownOnes()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddResource("order"), start: false);

        var act = () => host.Publisher.PublishAsync("order.shipped", new { });

        (await act.Should().ThrowAsync<WebhookUnknownEventTypeException>())
            .WithMessage("Unknown webhook event type 'order.shipped'*order.created, order.updated, order.deleted*");
    }

    [Fact]
    public async Task Publish_WrongPayloadTypeForTypedEvent_ThrowsValidationError()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType(OrderPlaced), start: false);

        var act = () => host.Publisher.PublishAsync("order.placed", new { id = 1 });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["data"].Single().Should().Contain("OrderPayload");
    }

    [Fact]
    public async Task Publish_PayloadOverLimit_ThrowsWithSizeAndLimit()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("blob"), o => o.MaxPayloadBytes = 2048, start: false);

        var act = () => host.Publisher.PublishAsync("blob", new { data = new string('x', 4000) });

        (await act.Should().ThrowAsync<WebhookPayloadTooLargeException>()).Which.Limit.Should().Be(2048);
    }

    [Fact]
    public async Task Publish_JsonElementData_IsWrittenAsIs()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("raw"));
        await host.Subscriptions.CreateAsync(null, new() { Name = "n", Url = receiver.Url(), Events = ["raw"] });

        await host.Publisher.PublishAsync("raw", JsonDocument.Parse("{\"Keep\":\"Case\",\"n\":[1,2]}").RootElement);

        (await receiver.WaitForAsync(1))[0].BodyText.Should().EndWith("\"data\":{\"Keep\":\"Case\",\"n\":[1,2]}}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("star.*")]
    [InlineData(".leading")]
    [InlineData("trailing-")]
    [InlineData("ünïcode")]
    public void EventType_InvalidName_Throws(string name)
    {
        var act = () => new WebhookEventType(name);

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void SubscriptionPatterns_IncludeNamePrefixesWildcardAndGroup()
    {
        new WebhookEventType("task.status.updated") { Group = "task" }.GetSubscriptionPatterns()
            .Should().BeEquivalentTo(["task.status.updated", "*", "task.*", "task.status.*"]);
        new WebhookEventType("item-add") { Group = "item" }.GetSubscriptionPatterns()
            .Should().BeEquivalentTo(["item-add", "*", "item.*"]);
    }

    [Fact]
    public async Task DuplicateRegistration_FailsAtStartWithClearMessage()
    {
        var act = () => WebhookHost.StartAsync(b => b.AddEventType("a.b").AddEventType("a.b"));

        (await act.Should().ThrowAsync<OptionsValidationException>()).WithMessage("*registered more than once: a.b*");
    }
}
