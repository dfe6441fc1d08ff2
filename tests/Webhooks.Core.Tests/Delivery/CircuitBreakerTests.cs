using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>A per-endpoint circuit breaker: a failing endpoint is paused, others are not, and a pause costs no retry.</summary>
public sealed class CircuitBreakerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (WebhookCircuitBreaker Breaker, FakeTimeProvider Time) Create(Action<WebhookCircuitBreakerOptions>? change = null)
    {
        var o = new WebhookOptions();
        o.CircuitBreaker.MinimumAttempts = 4;
        change?.Invoke(o.CircuitBreaker);
        var time = new FakeTimeProvider(T0);
        return (new WebhookCircuitBreaker(Options.Create(o), time, NullLogger<WebhookCircuitBreaker>.Instance), time);
    }

    private static WebhookAttempt Answer(int status) => new() { Number = 1, StartedAt = T0, StatusCode = status, ErrorKind = status is >= 200 and < 300 ? WebhookErrorKind.None : WebhookErrorKind.HttpStatus };

    [Fact]
    public void HighFailureRate_Opens_ThenOneProbe_SuccessCloses_FailureDoublesTheBreak()
    {
        var (breaker, time) = Create();
        const string e = "https://h:443";
        breaker.Record(e, Answer(200));
        breaker.Record(e, Answer(500));
        breaker.Record(e, Answer(503)).Opened.Should().BeFalse("3 attempts are fewer than the minimum");
        var opened = breaker.Record(e, Answer(500));
        opened.Opened.Should().BeTrue("3 of 4 failed");
        opened.OpenUntil.Should().Be(T0.AddSeconds(30));

        breaker.TryPass(e, out var hold).Should().BeFalse();
        hold.Should().Be(TimeSpan.FromSeconds(30));
        breaker.TryPass("https://other:443", out _).Should().BeTrue("other endpoints are not affected");

        time.Advance(TimeSpan.FromSeconds(30));
        breaker.TryPass(e, out _).Should().BeTrue("the break is over: one probe");
        breaker.TryPass(e, out _).Should().BeFalse("only one probe at a time");
        breaker.Record(e, Answer(502)).OpenUntil.Should().Be(T0.AddSeconds(30 + 60), "a failed probe doubles the break");

        time.Advance(TimeSpan.FromSeconds(60));
        breaker.TryPass(e, out _).Should().BeTrue();
        breaker.Record(e, Answer(204)).Closed.Should().BeTrue();
        breaker.TryPass(e, out _).Should().BeTrue();
        breaker.StateOf(e).OpenUntil.Should().BeNull();
    }

    [Theory]
    [InlineData(404)]
    [InlineData(400)]
    [InlineData(410)]
    public void ClientErrors_SayNothingAboutAvailability(int status)
    {
        var (breaker, _) = Create();
        for (int i = 0; i < 20; i++)
        {
            breaker.Record("https://h:443", Answer(status)).Opened.Should().BeFalse();
        }
    }

    [Fact]
    public void Disabled_NeverOpens()
    {
        var (breaker, _) = Create(o => o.Enabled = false);
        for (int i = 0; i < 20; i++)
        {
            breaker.Record("https://h:443", Answer(500));
        }

        breaker.TryPass("https://h:443", out _).Should().BeTrue();
    }

    [Fact]
    public async Task FailingEndpoint_IsPaused_OthersKeepGoing_AndThePauseUsesNoRetry()
    {
        await using var bad = await TestReceiver.StartAsync();
        await using var good = await TestReceiver.StartAsync();
        var healthy = 0;
        bad.Responder = (ctx, _) => { ctx.Response.StatusCode = Volatile.Read(ref healthy) == 1 ? 200 : 503; return Task.CompletedTask; };
        var changes = new ConcurrentQueue<DateTimeOffset?>();
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o =>
            {
                o.RetrySchedule = Enumerable.Repeat(TimeSpan.FromMilliseconds(20), 3).ToList();
                o.CircuitBreaker.MinimumAttempts = 4;
                o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(1);
            },
            s => s.AddSingleton<IWebhookObserver>(new CircuitObserver(changes)));
        var badSub = await DeliveryTests.Subscribe(host, bad.Url(), ["order.created"]);
        await DeliveryTests.Subscribe(host, good.Url(), ["order.created"]);

        for (int i = 0; i < 3; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        await good.WaitForAsync(3);
        await Eventually.TrueAsync(() => Task.FromResult(!changes.IsEmpty), "the circuit to open");
        int seenWhenOpened = bad.Requests.Count;
        seenWhenOpened.Should().BeInRange(4, 6, "it opened after the minimum number of attempts");
        await Task.Delay(500);
        bad.Requests.Count.Should().Be(seenWhenOpened, "nothing is sent to an open circuit");
        (await host.Deliveries.GetDeliveriesAsync(null, badSub.Subscription.Id))!.Items.Should().OnlyContain(d => d.Status == WebhookDeliveryStatus.Pending, "the break consumed no retry: nothing was given up");

        Volatile.Write(ref healthy, 1);
        await Eventually.TrueAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, badSub.Subscription.Id, WebhookDeliveryStatus.Succeeded))!.Items.Count == 3, "the probe to close the circuit and the rest to follow", TimeSpan.FromSeconds(15));
        changes.Should().Contain(c => c == null, "observers hear the circuit close");
    }

    private sealed class CircuitObserver(ConcurrentQueue<DateTimeOffset?> changes) : IWebhookObserver
    {
        public Task OnEndpointCircuitChangedAsync(string endpoint, DateTimeOffset? openUntil, CancellationToken cancellationToken)
        {
            changes.Enqueue(openUntil);
            return Task.CompletedTask;
        }
    }
}
