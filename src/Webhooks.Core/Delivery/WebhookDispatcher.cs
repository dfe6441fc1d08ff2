using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Delivery;

/// <summary>Dispatch once, on demand: lease what is due, send, record, and return within a time limit.</summary>
internal sealed partial class WebhookDispatcher(
    IWebhookDeliveryStore deliveries,
    WebhookDeliveryProcessor processor,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : IWebhookDispatcher
{
    private const int MaxBatch = 256;

    public async Task<WebhookDispatchResult> DispatchAsync(TimeSpan timeLimit, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        long started = Stopwatch.GetTimestamp();
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, (o.LeaseDuration - o.AttemptTimeout).Ticks / 2));
        bool TimeForAnAttempt() => timeLimit - Stopwatch.GetElapsedTime(started) >= o.AttemptTimeout + margin;

        var counts = new int[Enum.GetValues<WebhookProcessOutcome>().Length];
        int leased = 0;
        bool moreDue = false;
        var running = new List<Task>();
        using var slots = new SemaphoreSlim(o.MaxConcurrentDeliveries);
        while (true)
        {
            if (cancellationToken.IsCancellationRequested || !TimeForAnAttempt())
            {
                moreDue = true;
                break;
            }

            long leasedAt = Stopwatch.GetTimestamp();
            IReadOnlyList<WebhookLease> leases;
            try
            {
                leases = await deliveries.LeaseAsync(Math.Min(o.MaxConcurrentDeliveries, MaxBatch), o.LeaseDuration, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                moreDue = true;
                break;
            }

            if (leases.Count == 0)
            {
                break;
            }

            leased += leases.Count;
            var batch = new WebhookLeaseBatch(); // the batch's deliveries share their subscription reads
            for (int i = 0; i < leases.Count; i++)
            {
                bool begun = false;
                try
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    begun = TimeForAnAttempt();
                    if (!begun)
                    {
                        slots.Release();
                    }
                }
                catch (OperationCanceledException)
                {
                }

                if (!begun)
                {
                    // Out of time (or cancelled): hand back what was leased but not started.
                    for (int j = i; j < leases.Count; j++)
                    {
                        await processor.ReleaseAsync(leases[j], TimeSpan.Zero).ConfigureAwait(false);
                        Interlocked.Increment(ref counts[(int)WebhookProcessOutcome.Released]);
                    }

                    moreDue = true;
                    break;
                }

                var lease = leases[i];
                running.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            var outcome = await processor.ProcessAsync(lease, leasedAt, cancellationToken, batch).ConfigureAwait(false);
                            Interlocked.Increment(ref counts[(int)outcome]);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    },
                    CancellationToken.None));
            }

            if (moreDue)
            {
                break;
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        var result = new WebhookDispatchResult
        {
            Leased = leased,
            Succeeded = counts[(int)WebhookProcessOutcome.Succeeded],
            Retrying = counts[(int)WebhookProcessOutcome.Retrying],
            Failed = counts[(int)WebhookProcessOutcome.Failed],
            NotSent = counts[(int)WebhookProcessOutcome.NotSent],
            Released = counts[(int)WebhookProcessOutcome.Released],
            LeaseLost = counts[(int)WebhookProcessOutcome.LeaseLost],
            MoreDue = moreDue || counts[(int)WebhookProcessOutcome.Released] > 0,
            Elapsed = Stopwatch.GetElapsedTime(started),
        };
        LogDispatched(logger, result.ToString());
        return result;
    }

    [LoggerMessage(20, LogLevel.Debug, "Dispatched on demand: {Result}.")]
    private static partial void LogDispatched(ILogger logger, string result);
}
