using System.Diagnostics;
using Webhooks.Abstractions.Delivery;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// The contract of <see cref="IWebhookDeliveryRateLimit"/> as tests, for a delivery store that also
/// implements it: a fresh subscription gets its whole burst at once, then is refused with the wait
/// until the next slot; subscriptions do not share slots; concurrent callers never take more slots
/// than the rule allows.
/// </summary>
/// <remarks>
/// The store's clock keeps running while a test runs, so each assertion allows for the slots that
/// the elapsed time (measured around the calls) may have freed.
/// </remarks>
public abstract class DeliveryRateLimitConformanceTests : DeliveryStoreConformanceTestBase
{
    /// <summary>The store under test as a rate limit.</summary>
    protected IWebhookDeliveryRateLimit RateLimit => Store as IWebhookDeliveryRateLimit
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IWebhookDeliveryRateLimit; derive only from the suites of the capabilities it implements.");

    /// <summary>Rule: a fresh subscription gets its burst (perSecond slots) at once; the next call is refused with a wait of at most one interval.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task TryReserveSend_BurstThenRefusedWithWait()
    {
        const int perSecond = 4;
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < perSecond; i++)
        {
            var granted = await RateLimit.TryReserveSendAsync("sub_burst", perSecond, Cancellation);
            Assert.True(granted == TimeSpan.Zero, $"Slot {i + 1} of a fresh subscription's burst of {perSecond} must be granted at once, got a wait of {granted}.");
        }

        var refused = await RateLimit.TryReserveSendAsync("sub_burst", perSecond, Cancellation);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (elapsed < TimeSpan.FromSeconds(1.0 / perSecond))
        {
            // No slot can have freed yet: the call must be refused, and the wait is at most one interval.
            Assert.True(refused > TimeSpan.Zero, "Past the burst, with no slot freed, the call must be refused (a positive wait).");
            Assert.True(
                refused <= TimeSpan.FromSeconds(1.0 / perSecond) + ClockTolerance,
                $"The wait is until the next slot frees, at most one interval ({1000.0 / perSecond} ms), got {refused.TotalMilliseconds} ms.");
        }
    }

    /// <summary>Rule: subscriptions do not share slots: one at its limit leaves another's untouched.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task TryReserveSend_OtherSubscription_NotAffected()
    {
        Assert.True(await RateLimit.TryReserveSendAsync("sub_one", 1, Cancellation) == TimeSpan.Zero, "A fresh subscription's first slot must be granted.");
        Assert.True(await RateLimit.TryReserveSendAsync("sub_two", 1, Cancellation) == TimeSpan.Zero, "Another subscription's first slot must be granted: slots are per subscription.");
    }

    /// <summary>Rule: check and write are one atomic step: of many concurrent callers, no more than the burst plus the slots freed meanwhile are granted.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task TryReserveSend_Concurrent_NeverMoreThanAllowed()
    {
        const int perSecond = 5;
        long started = Stopwatch.GetTimestamp();
        var results = await RunConcurrentlyAsync(40, _ => RateLimit.TryReserveSendAsync("sub_concurrent", perSecond, Cancellation));
        var elapsed = Stopwatch.GetElapsedTime(started);

        int granted = results.Count(r => r == TimeSpan.Zero);
        int allowed = perSecond + (int)Math.Ceiling((elapsed + ClockTolerance).TotalSeconds * perSecond);
        Assert.True(granted >= perSecond, $"A fresh subscription's burst of {perSecond} must be granted, got {granted}.");
        Assert.True(granted <= allowed, $"{granted} of 40 concurrent calls were granted in {elapsed.TotalMilliseconds:F0} ms; at most {allowed} may be (burst {perSecond} plus {perSecond} per second).");
    }
}
