using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Delivery;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

public sealed class RetryAndHealthTests
{
    [Fact]
    public void DefaultPolicy_FollowsScheduleWithinJitterThenGivesUp()
    {
        var options = new WebhookOptions();
        var policy = new DefaultWebhookRetryPolicy(Options.Create(options));

        for (int attempt = 1; attempt <= 7; attempt++)
        {
            var expected = WebhookOptions.DefaultRetrySchedule[attempt - 1];
            for (int i = 0; i < 50; i++)
            {
                var delay = policy.GetNextDelay(new WebhookRetryContext(attempt, 500, WebhookErrorKind.HttpStatus, null))!.Value;
                delay.Should().BeGreaterThanOrEqualTo(expected * 0.8).And.BeLessThanOrEqualTo(expected * 1.2);
            }
        }

        policy.GetNextDelay(new WebhookRetryContext(8, 500, WebhookErrorKind.HttpStatus, null)).Should().BeNull();
        WebhookOptions.DefaultRetrySchedule.Should().Equal(
            TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
            TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10));
    }

    [Fact]
    public void DefaultPolicy_RetryAfterHonouredOn429And503Only_AndCapped()
    {
        var policy = new DefaultWebhookRetryPolicy(Options.Create(new WebhookOptions { RetryJitter = 0, MaxRetryAfter = TimeSpan.FromMinutes(10) }));

        policy.GetNextDelay(new(1, 429, WebhookErrorKind.HttpStatus, TimeSpan.FromMinutes(2))).Should().Be(TimeSpan.FromMinutes(2));
        policy.GetNextDelay(new(1, 503, WebhookErrorKind.HttpStatus, TimeSpan.FromDays(1))).Should().Be(TimeSpan.FromMinutes(10));
        policy.GetNextDelay(new(1, 500, WebhookErrorKind.HttpStatus, TimeSpan.FromMinutes(2))).Should().Be(TimeSpan.FromSeconds(5));
        policy.GetNextDelay(new(1, 429, WebhookErrorKind.HttpStatus, TimeSpan.FromSeconds(1))).Should().Be(TimeSpan.FromSeconds(5), "a shorter Retry-After never shortens the schedule");
    }

    [Fact]
    public async Task FailingForFiveDays_DisablesSubscriptionWithReason()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        var observer = new DeliveryTests.RecordingObserver();
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o => o.RetrySchedule = Enumerable.Repeat(TimeSpan.FromDays(1), 10).ToList(),
            s => s.AddSingleton<TimeProvider>(time).AddSingleton<IWebhookObserver>(observer));
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await receiver.WaitForAsync(1);
        for (int day = 1; day <= 5; day++)
        {
            await Eventually.TrueAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items[0].AttemptCount == day, $"attempt {day} to be recorded");
            (await host.Subscriptions.GetAsync(null, sub.Subscription.Id))!.Active.Should().BeTrue($"after {day - 1} day(s) it is not yet disabled");
            time.Advance(TimeSpan.FromDays(1));
            await receiver.WaitForAsync(day + 1);
        }

        var disabled = await Eventually.GetAsync(async () => (await host.Subscriptions.GetAsync(null, sub.Subscription.Id)) is { Active: false } s ? s : null, "the subscription to be disabled");
        disabled.DisabledReason.Should().Contain("Every attempt since 2026-01-01");
        await Eventually.TrueAsync(() => Task.FromResult(observer.Disabled.Count == 1), "the observer");
    }

    [Fact]
    public async Task FailureThenSuccess_ObserverHearsRecovery()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) => { ctx.Response.StatusCode = n == 1 ? 502 : 204; return Task.CompletedTask; };
        var observer = new DeliveryTests.RecordingObserver();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), services: s => s.AddSingleton<IWebhookObserver>(observer));
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        await Eventually.TrueAsync(() => Task.FromResult(observer.Recovered.Count == 1), "a recovery notification");
        observer.Recovered[0].Status.Should().Be(WebhookDeliveryStatus.Succeeded);
        observer.Failed.Should().BeEmpty();
    }

    [Fact]
    public async Task ObserverThatThrows_DoesNotStopDelivery()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created").AddObserver<ThrowingObserver>());
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await host.Publisher.PublishAsync("order.created", new { id = 2 });

        await receiver.WaitForAsync(2);
        await Eventually.TrueAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded))!.Items.Count == 2, "both recorded");
    }

    private sealed class ThrowingObserver : IWebhookObserver
    {
        public Task OnAttemptAsync(WebhookDelivery delivery, WebhookAttempt attempt, CancellationToken cancellationToken) => throw new InvalidOperationException("observer bug");
    }
}
