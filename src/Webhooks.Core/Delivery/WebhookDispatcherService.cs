using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The hosted dispatcher loop (the default driver; <see cref="WebhookDispatcherOptions.Enabled"/>
/// turns it off): leases due deliveries in batches into a buffer (up to twice
/// <see cref="WebhookOptions.MaxConcurrentDeliveries"/> ahead of the workers) and runs up to
/// <see cref="WebhookOptions.MaxConcurrentDeliveries"/> attempts at once through the
/// <see cref="WebhookDeliveryProcessor"/>. On shutdown it stops leasing, lets in-flight attempts
/// finish within the host's shutdown timeout, and hands back the leases of any it had to cut short.
/// </summary>
/// <remarks>Logs under <see cref="WebhookDispatcher"/>'s category, as dispatch-once does.</remarks>
internal sealed partial class WebhookDispatcherService(
    IWebhookDeliveryStore deliveries,
    WebhookDeliveryProcessor processor,
    WebhookDispatchSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private const int MaxBatch = 256;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    // A drained queue's next lease waits as long as the last lease call took, within these bounds.
    private static readonly TimeSpan MinLeasePause = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxLeasePause = TimeSpan.FromMilliseconds(20);

    private readonly CancellationTokenSource _abort = new();

    // Deliveries leased but not started yet (in the buffer), and the feeder's wait for room.
    private int _buffered;
    private TaskCompletionSource? _room;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Dispatcher.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        // One feeder leases due deliveries into a buffer; MaxConcurrentDeliveries workers take from it
        // and send, each in its own loop (as a hand-written HttpClient loop would), so a busy dispatcher
        // costs no extra hand-off per delivery. The feeder keeps up to twice MaxConcurrentDeliveries
        // leased ahead and leases again once the buffer is down to MaxConcurrentDeliveries, so each
        // lease call takes a batch (one statement for many rows on a database) rather than the one or
        // two slots that just freed.
        var buffer = Channel.CreateUnbounded<(WebhookLease Lease, long LeasedAt, WebhookLeaseBatch Batch)>(new UnboundedChannelOptions
        {
            SingleWriter = true,
        });
        var workers = new Task[o.MaxConcurrentDeliveries];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(buffer.Reader, o.MaxConcurrentDeliveries, stoppingToken), CancellationToken.None);
        }

        try
        {
            await FeedAsync(buffer.Writer, o, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            buffer.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
    }

    /// <summary>The most deliveries the buffer holds ahead of the workers.</summary>
    internal static int BufferCapacity(WebhookOptions o) => 2 * o.MaxConcurrentDeliveries;

    private async Task FeedAsync(ChannelWriter<(WebhookLease Lease, long LeasedAt, WebhookLeaseBatch Batch)> buffer, WebhookOptions o, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        int capacity = BufferCapacity(o);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitForRoomAsync(o.MaxConcurrentDeliveries, stoppingToken).ConfigureAwait(false);
                int room = capacity - Volatile.Read(ref _buffered);

                // Taken before the call: the lease runs from no later than this, whatever the store's clock says.
                long leasedAt = Stopwatch.GetTimestamp();
                var leases = await deliveries.LeaseAsync(Math.Clamp(room, 1, MaxBatch), o.LeaseDuration, stoppingToken).ConfigureAwait(false);
                if (leases.Count == 0)
                {
                    await signal.WaitAsync(o.PollInterval, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                // Unbounded, so writing never waits: a lease is never left between the store and the buffer.
                var batch = new WebhookLeaseBatch();
                Interlocked.Add(ref _buffered, leases.Count);
                for (int i = 0; i < leases.Count; i++)
                {
                    buffer.TryWrite((leases[i], leasedAt, batch));
                }

                backoff = TimeSpan.Zero;

                // The queue is about drained (fewer came back than half the room): leasing again at once
                // would spend a lease call (a statement on a database) on the one or two deliveries
                // published meanwhile. Wait as long as this call took, so the next takes what gathered.
                // A store that leases in microseconds (in memory) waits microseconds.
                if (leases.Count < room / 2)
                {
                    var took = Stopwatch.GetElapsedTime(leasedAt);
                    if (took >= MinLeasePause)
                    {
                        // Real time, as the call was measured (a test's fake clock must not hold the dispatcher).
                        await Task.Delay(TimeSpan.FromTicks(Math.Min(took.Ticks, MaxLeasePause.Ticks)), stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                LogStoreError(logger, ex, backoff.TotalSeconds);
                try
                {
                    await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Returns once the buffer holds at most <paramref name="lowWater"/> deliveries.</summary>
    private async ValueTask WaitForRoomAsync(int lowWater, CancellationToken stoppingToken)
    {
        while (Volatile.Read(ref _buffered) > lowWater)
        {
            var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _room, room); // a full fence: the re-check below reads _buffered after this write is seen (a worker decrements, then reads _room)
            if (Volatile.Read(ref _buffered) > lowWater) // a worker may have taken one before the wait was armed
            {
                await room.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            Volatile.Write(ref _room, null);
        }
    }

    private async Task WorkAsync(ChannelReader<(WebhookLease Lease, long LeasedAt, WebhookLeaseBatch Batch)> reader, int lowWater, CancellationToken stoppingToken)
    {
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (Interlocked.Decrement(ref _buffered) <= lowWater && Volatile.Read(ref _room) is { } room)
                {
                    room.TrySetResult(); // the feeder may lease the next batch
                }

                if (stoppingToken.IsCancellationRequested)
                {
                    await processor.ReleaseAsync(item.Lease, TimeSpan.Zero).ConfigureAwait(false); // buffered, not started: back to the queue
                }
                else
                {
                    await processor.ProcessAsync(item.Lease, item.LeasedAt, _abort.Token, item.Batch).ConfigureAwait(false);
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // base.StopAsync stops leasing and waits for ExecuteAsync (which waits for in-flight
        // attempts) until the host's shutdown timeout; past that, cut the attempts short.
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (ExecuteTask is { IsCompleted: false } running)
        {
            LogShutdownAbort(logger);
            await _abort.CancelAsync().ConfigureAwait(false);
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The leases left will expire and be taken over: nothing is lost.
            }
        }
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    [LoggerMessage(2, LogLevel.Warning, "The delivery store failed; retrying in {BackoffSeconds} s.")]
    private static partial void LogStoreError(ILogger logger, Exception exception, double backoffSeconds);

    [LoggerMessage(8, LogLevel.Warning, "Shutdown timeout reached with attempts in flight; cancelling them and returning their deliveries to the queue.")]
    private static partial void LogShutdownAbort(ILogger logger);

    [LoggerMessage(12, LogLevel.Information, "The hosted webhook dispatcher is disabled (Webhooks:Dispatcher:Enabled=false): this process enqueues but does not send; another process, or calls to IWebhookDispatcher.DispatchAsync, must.")]
    private static partial void LogDisabled(ILogger logger);
}
