using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>The shared timeout check that replaces a timer per attempt on the system clock.</summary>
public sealed class AttemptTimeoutsTests
{
    private static WebhookOptions Options(TimeSpan timeout) => new() { AttemptTimeout = timeout, LeaseDuration = timeout + TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task AnAttemptPastItsTimeout_IsCancelled_NotBefore()
    {
        using var timeouts = new WebhookAttemptTimeouts(Options(TimeSpan.FromMilliseconds(200)));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var slot = timeouts.Start(TimeSpan.FromMilliseconds(200));

        await Eventually.TrueAsync(() => Task.FromResult(slot.Source.IsCancellationRequested), "the attempt to be cut off");

        started.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190), "never before its timeout (timer resolution aside)");
        timeouts.Finish(slot);
        var next = timeouts.Start(TimeSpan.FromSeconds(30));
        next.Source.IsCancellationRequested.Should().BeFalse("a cancelled source is replaced, never handed to the next attempt");
        timeouts.Finish(next);
    }

    [Fact]
    public async Task AFinishedAttempt_IsNeverCancelledLater_AndItsSlotServesTheNextOne()
    {
        using var timeouts = new WebhookAttemptTimeouts(Options(TimeSpan.FromMilliseconds(100)));
        var first = timeouts.Start(TimeSpan.FromMilliseconds(100));
        var source = first.Source;
        timeouts.Finish(first);

        var second = timeouts.Start(TimeSpan.FromSeconds(30));
        second.Should().BeSameAs(first, "slots are pooled");
        second.Source.Should().BeSameAs(source, "a source that was never cancelled is reset and reused");

        // Several check periods past the first attempt's deadline: the slot now belongs to an attempt with 30 s left.
        var canary = timeouts.Start(TimeSpan.FromMilliseconds(100));
        await Eventually.TrueAsync(() => Task.FromResult(canary.Source.IsCancellationRequested), "a later short attempt to be cut off (the check ran)");
        second.Source.IsCancellationRequested.Should().BeFalse();
        timeouts.Finish(canary);
        timeouts.Finish(second);
    }
}
