using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Core.Catalog;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>An event type's own retry schedule overrides the app's.</summary>
public sealed class RetryScheduleTests
{
    [Fact]
    public async Task EventTypeSchedule_OverridesTheAppsSchedule_PerDelivery()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("payment.failed", o => o.RetrySchedule = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)])
                  .AddEventType("cache.invalidated", o => o.RetrySchedule = [])
                  .AddEventType("order.created"),
            o => o.RetrySchedule = [TimeSpan.FromHours(1)]);
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["*"]);

        await host.Publisher.PublishAsync("payment.failed", new { id = 1 });
        await host.Publisher.PublishAsync("cache.invalidated", new { id = 1 });
        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        await Eventually.TrueAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, WebhookDeliveryStatus.Failed))!.Items.Count == 2, "the two short schedules to end");
        var all = (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.ToDictionary(d => d.EventType);
        all["payment.failed"].AttemptCount.Should().Be(3, "its own schedule retries twice");
        all["cache.invalidated"].AttemptCount.Should().Be(1, "an empty schedule never retries");
        all["order.created"].Status.Should().Be(WebhookDeliveryStatus.Pending, "the app's schedule waits an hour");
        all["order.created"].AttemptCount.Should().Be(1);
    }

    [Fact]
    public void Policy_UsesTheEventTypesSchedule_ElseTheAppsThenTheDefault()
    {
        var catalog = new WebhookEventCatalog(
            Options.Create(new WebhookCatalogOptions { EventTypes = { new WebhookEventType("a") { RetrySchedule = [TimeSpan.FromDays(2)] }, new WebhookEventType("b") } }),
            Options.Create(new Serialization.WebhookSerializerOptions()));
        var policy = new DefaultWebhookRetryPolicy(Options.Create(new WebhookOptions { RetryJitter = 0, RetrySchedule = [TimeSpan.FromSeconds(7)] }), catalog);

        policy.GetNextDelay(new(1, 500, WebhookErrorKind.HttpStatus, null, "a")).Should().Be(TimeSpan.FromDays(2));
        policy.GetNextDelay(new(2, 500, WebhookErrorKind.HttpStatus, null, "a")).Should().BeNull();
        policy.GetNextDelay(new(1, 500, WebhookErrorKind.HttpStatus, null, "b")).Should().Be(TimeSpan.FromSeconds(7));
        policy.GetNextDelay(new(1, 500, WebhookErrorKind.HttpStatus, null)).Should().Be(TimeSpan.FromSeconds(7));
        new DefaultWebhookRetryPolicy(Options.Create(new WebhookOptions { RetryJitter = 0 }), catalog)
            .GetNextDelay(new(1, 500, WebhookErrorKind.HttpStatus, null, "b")).Should().Be(WebhookOptions.DefaultRetrySchedule[0]);
    }

    [Fact]
    public async Task EventTypeSchedule_OutOfRange_FailsAtStartNamingTheType()
    {
        var act = () => WebhookHost.StartAsync(b => b.AddEventType("slow", o => o.RetrySchedule = [TimeSpan.FromDays(30)]));

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("'slow'").And.Contain("RetrySchedule");
    }
}
