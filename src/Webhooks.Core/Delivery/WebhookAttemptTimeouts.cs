using System.Collections.Concurrent;
using System.Diagnostics;

namespace Webhooks.Core.Delivery;

/// <summary>
/// Cuts attempts off after <see cref="WebhookOptions.AttemptTimeout"/> without a timer per attempt:
/// each attempt takes a pooled slot (a cancellation source and a deadline) and one shared check,
/// scheduled only while attempts are in flight, cancels the slots past their deadline. An attempt
/// so costs no timer-queue lock (which every attempt's own timer took twice, contended by all the
/// workers) and no allocation; it is cut off no earlier than its timeout and at most one check
/// period (1-100 ms) later. Used on the system clock only: another
/// <see cref="TimeProvider"/> (tests) gets a timer per attempt from it.
/// </summary>
internal sealed class WebhookAttemptTimeouts : IDisposable
{
    private readonly ConcurrentQueue<Slot> _idle = new();
    private readonly Lock _gate = new();
    private readonly TimeSpan _period;
    private readonly Timer _timer;
    private Slot[] _all = [];
    private int _armed;
    private volatile bool _disposed;

    /// <param name="options">AttemptTimeout and LeaseDuration: the check runs every twentieth of the
    /// timeout, and at most a quarter of the margin between the two, so that an attempt still ends
    /// well before its lease (1-100 ms).</param>
    public WebhookAttemptTimeouts(WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long period = Math.Min(options.AttemptTimeout.Ticks / 20, (options.LeaseDuration - options.AttemptTimeout).Ticks / 4);
        _period = TimeSpan.FromTicks(Math.Clamp(period, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerMillisecond * 100));
        using (ExecutionContext.SuppressFlow()) // the check must not keep whatever async-local state the first caller had
        {
            _timer = new Timer(static state => ((WebhookAttemptTimeouts)state!).Check(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>One attempt's cancellation source and deadline.</summary>
    internal sealed class Slot : IDisposable
    {
        internal CancellationTokenSource Source = new();

        // Stopwatch ticks; 0 while the slot is idle.
        internal long Deadline;

        public void Dispose() => Source.Dispose();
    }

    /// <summary>Takes a slot whose source is cancelled once <paramref name="timeout"/> has passed.</summary>
    public Slot Start(TimeSpan timeout)
    {
        if (!_idle.TryDequeue(out var slot))
        {
            slot = new Slot();
            lock (_gate)
            {
                _all = [.. _all, slot];
            }
        }

        long ticks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        Interlocked.Exchange(ref slot.Deadline, Math.Max(1, Stopwatch.GetTimestamp() + ticks)); // a full fence before reading _armed (see Check)
        if (Volatile.Read(ref _armed) == 0 && Interlocked.CompareExchange(ref _armed, 1, 0) == 0)
        {
            Arm();
        }

        return slot;
    }

    /// <summary>Hands the slot back once the attempt is over (its source is reused unless it was cancelled).</summary>
    public void Finish(Slot slot)
    {
        lock (slot)
        {
            Volatile.Write(ref slot.Deadline, 0); // from here the check leaves the slot alone
        }

        if (!slot.Source.TryReset())
        {
            slot.Source.Dispose();
            slot.Source = new CancellationTokenSource();
        }

        _idle.Enqueue(slot);
    }

    private void Check()
    {
        // Disarmed before looking, so an attempt started after its slot was looked at arms the check again.
        Interlocked.Exchange(ref _armed, 0);
        long now = Stopwatch.GetTimestamp();
        bool active = false;
        foreach (var slot in Volatile.Read(ref _all))
        {
            long deadline = Volatile.Read(ref slot.Deadline);
            if (deadline == 0)
            {
                continue;
            }

            active = true;
            if (now >= deadline)
            {
                lock (slot)
                {
                    if (Volatile.Read(ref slot.Deadline) == deadline && !slot.Source.IsCancellationRequested)
                    {
                        try
                        {
                            slot.Source.Cancel();
                        }
                        catch (AggregateException)
                        {
                            // A callback of the request threw; the attempt is cancelled all the same.
                        }
                    }
                }
            }
        }

        if (active && Interlocked.CompareExchange(ref _armed, 1, 0) == 0)
        {
            Arm();
        }
    }

    private void Arm()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            _timer.Change(_period, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
        while (_idle.TryDequeue(out var slot))
        {
            slot.Dispose(); // an attempt still in flight keeps its own
        }
    }
}
