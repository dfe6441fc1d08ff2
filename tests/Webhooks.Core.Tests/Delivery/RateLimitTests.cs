using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Delivery;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>A subscription's rate limit: excess deliveries wait in the queue (no attempt counted), other subscriptions are not slowed.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task LimitedSubscription_SendsAtItsRate_NoAttemptCounted_UnlimitedNotSlowed()
    {
        await using var limited = await TestReceiver.StartAsync();
        await using var unlimited = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        const int rate = 5;
        const int count = 20;
        var limitedSub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "limited", Url = limited.Url(), Events = ["order.created"], RateLimit = rate,
        });
        limitedSub.Subscription.RateLimit.Should().Be(rate);
        await DeliveryTests.Subscribe(host, unlimited.Url(), ["order.created"]);

        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        await unlimited.WaitForAsync(count, TimeSpan.FromSeconds(20));
        var received = await limited.WaitForAsync(count, TimeSpan.FromSeconds(30));
        unlimited.Requests.Max(r => r.ReceivedAt).Should().BeBefore(received.Max(r => r.ReceivedAt), "the unlimited subscription is not held back by its neighbour's limit");
        var span = received.Max(r => r.ReceivedAt) - received.Min(r => r.ReceivedAt);
        var elapsed = Stopwatch.GetElapsedTime(started);

        // A burst of `rate` at once, then `rate` per second: 20 deliveries need at least (20 - 5) / 5 = 3 s.
        span.Should().BeGreaterThan(TimeSpan.FromSeconds(((count - rate) / (double)rate) - 0.5), "no more than the burst plus the rate per second went out");
        received.Count.Should().BeLessThanOrEqualTo(rate + (int)Math.Ceiling(elapsed.TotalSeconds * rate));

        var deliveries = (await host.Deliveries.GetDeliveriesAsync(null, limitedSub.Subscription.Id, limit: 100))!.Items;
        await Eventually.TrueAsync(
            async () => (await host.Deliveries.GetDeliveriesAsync(null, limitedSub.Subscription.Id, WebhookDeliveryStatus.Succeeded, limit: 100))!.Items.Count == count,
            "every limited delivery to be recorded as succeeded");
        deliveries = (await host.Deliveries.GetDeliveriesAsync(null, limitedSub.Subscription.Id, limit: 100))!.Items;
        deliveries.Should().OnlyContain(d => d.AttemptCount == 1, "being held back by the rate limit is not an attempt");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    public async Task Create_RateLimitOutOfRange_IsAFieldError(int rateLimit)
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);

        var act = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "n", Url = "https://example.com/h", Events = ["order.created"], RateLimit = rateLimit });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["rateLimit"].Single().Should().Contain("1 to 10,000");
    }

    [Fact]
    public async Task Update_RateLimitZero_RemovesTheLimit()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);
        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "n", Url = "https://example.com/h", Events = ["order.created"], RateLimit = 10_000 });

        var limited = await host.Subscriptions.UpdateAsync(null, created.Subscription.Id, new WebhookSubscriptionPatch { Description = "x" });
        var cleared = await host.Subscriptions.UpdateAsync(null, created.Subscription.Id, new WebhookSubscriptionPatch { RateLimit = 0 });

        limited!.RateLimit.Should().Be(10_000, "a patch without a rate limit keeps it");
        cleared!.RateLimit.Should().BeNull("0 removes the limit");
    }

    [Fact]
    public async Task InProcessLimiter_BurstThenHoldsBack_SpreadsTheExcessOneSlotApart()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);
        host.Services.GetRequiredService<WebhookRateLimiter>().IsShared.Should().BeFalse("the in-memory store keeps no shared slots: the limit is this process's");

        // The spread is measured on the app's clock (a fake one here, so it does not move between calls).
        using var limiter = new WebhookRateLimiter(host.Services.GetRequiredService<IWebhookDeliveryStore>(), new FakeTimeProvider());
        var subscription = new WebhookSubscription { Id = "sub_x", Name = "x", Url = "https://example.com", Events = ["*"], Secrets = [], RateLimit = 1 };

        (await limiter.TryAcquireAsync(subscription, default)).Should().Be(TimeSpan.Zero, "the burst (1) is free");
        var first = await limiter.TryAcquireAsync(subscription, default);
        var second = await limiter.TryAcquireAsync(subscription, default);

        first.Should().BeGreaterThan(TimeSpan.Zero);
        (second - first).Should().Be(TimeSpan.FromSeconds(1), "the excess comes back one slot (1/rate) apart");
        (await limiter.TryAcquireAsync(subscription with { RateLimit = null }, default)).Should().Be(TimeSpan.Zero, "no limit, no wait");
    }
}
