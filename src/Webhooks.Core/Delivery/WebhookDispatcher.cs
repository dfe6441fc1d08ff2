using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The hosted service that sends due deliveries: leases them from the store in batches, runs up
/// to <see cref="WebhookOptions.MaxConcurrentDeliveries"/> attempts at once, records each, and
/// decides retry or give-up; endpoint health is <see cref="WebhookEndpointHealth"/>'s. On shutdown
/// it stops leasing, lets in-flight attempts finish within the host's shutdown timeout, and hands
/// back the leases of any it had to cut short.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IWebhookDeliveryStore deliveries,
    ProtectedSubscriptionStore subscriptions,
    WebhookSender sender,
    WebhookEndpointHealth health,
    IWebhookRetryPolicy retryPolicy,
    IEnumerable<IWebhookObserver> observers,
    WebhookDispatchSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>How often a delivery whose processing keeps failing (not its sending) is tried before it is recorded as failed.</summary>
    internal const int MaxProcessingTries = 5;

    private const int MaxBatch = 256;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);


    private readonly CancellationTokenSource _abort = new();
    private readonly IWebhookObserver[] _observers = [.. observers];
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _endpointOfUrl = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _processingFailures = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One feeder leases due deliveries into a bounded buffer; MaxConcurrentDeliveries workers
        // take from it and send, each in its own loop (as a hand-written HttpClient loop would), so
        // a busy dispatcher costs no extra hand-off per delivery.
        var o = options.Value;
        var buffer = Channel.CreateBounded<Leased>(new BoundedChannelOptions(o.MaxConcurrentDeliveries)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var workers = new Task[o.MaxConcurrentDeliveries];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(buffer.Reader, stoppingToken), CancellationToken.None);
        }

        try
        {
            await FeedAsync(buffer, o, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            buffer.Writer.TryComplete();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
    }

    private async Task FeedAsync(Channel<Leased> buffer, WebhookOptions o, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await buffer.Writer.WaitToWriteAsync(stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                int room = o.MaxConcurrentDeliveries - buffer.Reader.Count;

                // Taken before the call: the lease runs from no later than this, whatever the store's clock says.
                long leasedAt = Stopwatch.GetTimestamp();
                var leases = await deliveries.LeaseAsync(Math.Clamp(room, 1, MaxBatch), o.LeaseDuration, stoppingToken).ConfigureAwait(false);
                if (leases.Count == 0)
                {
                    await signal.WaitAsync(o.PollInterval, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                for (int i = 0; i < leases.Count; i++)
                {
                    var item = new Leased(leases[i], leasedAt);
                    if (!buffer.Writer.TryWrite(item))
                    {
                        try
                        {
                            await buffer.Writer.WriteAsync(item, stoppingToken).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            // Stopping: hand back what was leased but never started.
                            for (int j = i; j < leases.Count; j++)
                            {
                                await ReleaseAsync(leases[j], TimeSpan.Zero).ConfigureAwait(false);
                            }

                            throw;
                        }
                    }
                }

                backoff = TimeSpan.Zero;
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

    private async Task WorkAsync(ChannelReader<Leased> reader, CancellationToken stoppingToken)
    {
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    await ReleaseAsync(item.Lease, TimeSpan.Zero).ConfigureAwait(false); // buffered, not started: back to the queue
                }
                else
                {
                    await ProcessAsync(item).ConfigureAwait(false);
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

    private async Task ReleaseAsync(WebhookLease lease, TimeSpan delay)
    {
        try
        {
            await deliveries.ReleaseAsync(lease, delay, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, ex, lease.Delivery.Id);
        }
    }

    private async Task ProcessAsync(Leased item)
    {
        var token = _abort.Token;
        var lease = item.Lease;
        var delivery = lease.Delivery;
        try
        {
            var subscription = await subscriptions.GetAsync(delivery.SubscriptionId, token).ConfigureAwait(false);
            if (subscription is null || !subscription.Active)
            {
                var reason = subscription is null
                    ? "The subscription was deleted; nothing was sent."
                    : "The subscription is disabled; nothing was sent." + (subscription.DisabledReason is { } r ? " " + r : "");
                await FinishUnsentAsync(lease, reason).ConfigureAwait(false);
                return;
            }

            // Time spent in the buffer or reading the subscription counts against the lease: send only
            // if the attempt can finish before anyone else may take the delivery over.
            var o = options.Value;
            var leaseLeft = o.LeaseDuration - Stopwatch.GetElapsedTime(item.LeasedAt);
            var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, (o.LeaseDuration - o.AttemptTimeout).Ticks / 2));
            if (leaseLeft < o.AttemptTimeout + margin)
            {
                LogLeaseTooShort(logger, delivery.Id, leaseLeft.TotalSeconds);
                await ReleaseAsync(lease, TimeSpan.Zero).ConfigureAwait(false);
                return;
            }

            var endpoint = EndpointOf(subscription.Url);
            if (!TryEnterEndpoint(endpoint))
            {
                // The receiver already has as many attempts in flight as allowed: do not let it hold a
                // worker (a hanging receiver would starve every other one); try again a little later.
                LogDeferred(logger, delivery.Id, endpoint);
                await ReleaseAsync(lease, EndpointBusyDelay).ConfigureAwait(false);
                return;
            }

            WebhookAttempt attempt;
            TimeSpan? retryAfter;
            try
            {
                var target = new WebhookTarget(
                    subscription.Url,
                    subscription.Auth,
                    subscription.Headers,
                    WebhookSigningSecrets.Active(subscription.Secrets, time.GetUtcNow()),
                    subscription.SignatureScheme ?? options.Value.DefaultSignatureScheme,
                    subscription.Name);
                (attempt, retryAfter) = await sender.SendAsync(target, lease.Message, delivery.AttemptCount + 1, token).ConfigureAwait(false);
            }
            finally
            {
                ExitEndpoint(endpoint);
            }

            var transition = Decide(attempt, retryAfter);
            if (!await CompleteAsync(lease, attempt, transition).ConfigureAwait(false))
            {
                LogLeaseLost(logger, delivery.Id);
                return;
            }

            _processingFailures.TryRemove(delivery.Id, out _);
            LogAttempt(logger, delivery.Id, delivery.SubscriptionId, attempt.Number, attempt.StatusCode ?? 0, attempt.ErrorKind, transition.Status);
            var change = await health.RecordAsync(subscription, attempt).ConfigureAwait(false);
            await NotifyAsync(delivery, attempt, transition, change).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            await ReleaseAsync(lease, TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await ProcessingFailedAsync(lease, ex).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records the attempt; if the store refuses it (say, a value it cannot hold), records it again
    /// without the receiver's answer rather than send the delivery again.
    /// </summary>
    private async Task<bool> CompleteAsync(WebhookLease lease, WebhookAttempt attempt, WebhookDeliveryTransition transition)
    {
        try
        {
            return await deliveries.CompleteAttemptAsync(lease, attempt, transition, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (attempt.ResponseExcerpt is not null || attempt.Error is not null)
        {
            LogRecordRetried(logger, ex, lease.Delivery.Id);
            var bare = attempt with { ResponseExcerpt = null, Error = attempt.Error is null ? null : "The attempt's error text could not be stored." };
            return await deliveries.CompleteAttemptAsync(lease, bare, transition, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task FinishUnsentAsync(WebhookLease lease, string reason)
    {
        var transition = new WebhookDeliveryTransition(WebhookDeliveryStatus.Failed, Reason: reason);
        if (!await deliveries.CompleteAttemptAsync(lease, null, transition, CancellationToken.None).ConfigureAwait(false))
        {
            LogLeaseLost(logger, lease.Delivery.Id);
            return;
        }

        _processingFailures.TryRemove(lease.Delivery.Id, out _);
        if (_observers.Length > 0)
        {
            var after = lease.Delivery with { Status = WebhookDeliveryStatus.Failed, NextAttemptAt = null, LastError = reason };
            await NotifyAsync(o => o.OnDeliveryNotSentAsync(after, reason, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Processing (not the receiver) failed: a store, the secret protector or a signer threw. Try
    /// again a little later, a bounded number of times, then record a failed attempt that says why,
    /// so a delivery never loops unrecorded.
    /// </summary>
    private async Task ProcessingFailedAsync(WebhookLease lease, Exception ex)
    {
        var id = lease.Delivery.Id;
        if (_processingFailures.Count > 10_000)
        {
            _processingFailures.Clear(); // bounded: at worst a few deliveries get extra tries
        }

        int failures = _processingFailures.AddOrUpdate(id, 1, static (_, n) => n + 1);
        LogProcessFailed(logger, ex, id, failures, MaxProcessingTries);
        try
        {
            if (failures < MaxProcessingTries)
            {
                await deliveries.ReleaseAsync(lease, TimeSpan.FromSeconds(Math.Pow(4, failures)), CancellationToken.None).ConfigureAwait(false);
                return;
            }

            var attempt = new WebhookAttempt
            {
                Number = lease.Delivery.AttemptCount + 1,
                StartedAt = time.GetUtcNow(),
                ErrorKind = WebhookErrorKind.ProcessingFailed,
                Error = $"The delivery could not be processed {failures} times ({ex.GetType().Name}); it was given up. Fix the cause (see the app's log), then redeliver it.",
            };
            if (await deliveries.CompleteAttemptAsync(lease, attempt, new WebhookDeliveryTransition(WebhookDeliveryStatus.Failed), CancellationToken.None).ConfigureAwait(false))
            {
                _processingFailures.TryRemove(id, out _);
                await NotifyAsync(o => o.OnDeliveryFailedAsync(lease.Delivery with { Status = WebhookDeliveryStatus.Failed, AttemptCount = attempt.Number, LastError = attempt.Error }, attempt, CancellationToken.None)).ConfigureAwait(false);
            }
        }
        catch (Exception again)
        {
            // The store itself is failing: the lease expires and the delivery is taken again later; nothing is lost.
            LogReleaseFailed(logger, again, id);
        }
    }

    /// <summary>How many endpoints have attempts in flight now (the map keeps no others).</summary>
    internal int InFlightEndpointCount
    {
        get
        {
            lock (_inFlight)
            {
                return _inFlight.Count;
            }
        }
    }

    private TimeSpan EndpointBusyDelay => TimeSpan.FromTicks(Math.Clamp(options.Value.AttemptTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 2));

    private bool TryEnterEndpoint(string endpoint)
    {
        lock (_inFlight)
        {
            _inFlight.TryGetValue(endpoint, out var n);
            if (n >= options.Value.MaxConnectionsPerEndpoint)
            {
                return false;
            }

            _inFlight[endpoint] = n + 1;
            return true;
        }
    }

    private void ExitEndpoint(string endpoint)
    {
        lock (_inFlight)
        {
            if (_inFlight.TryGetValue(endpoint, out var n))
            {
                if (n <= 1)
                {
                    _inFlight.Remove(endpoint); // the map holds only endpoints with attempts in flight
                }
                else
                {
                    _inFlight[endpoint] = n - 1;
                }
            }
        }
    }

    /// <summary>
    /// The connection pool a URL is sent through: scheme, host and port as the handler sees them
    /// (default port made explicit, host lower-cased, user info dropped), so spellings of one
    /// endpoint share one in-flight cap.
    /// </summary>
    internal string EndpointOf(string url)
    {
        if (_endpointOfUrl.TryGetValue(url, out var endpoint))
        {
            return endpoint;
        }

        endpoint = Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? uri.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.StrongPort, UriFormat.UriEscaped).ToLowerInvariant()
            : url;
        if (_endpointOfUrl.Count > 10_000)
        {
            _endpointOfUrl.Clear();
        }

        _endpointOfUrl[url] = endpoint;
        return endpoint;
    }

    private WebhookDeliveryTransition Decide(WebhookAttempt attempt, TimeSpan? retryAfter)
    {
        if (attempt.Succeeded)
        {
            return new(WebhookDeliveryStatus.Succeeded);
        }

        // 410 Gone, a target the network policy refuses, and a delivery that cannot be prepared (no
        // signer for its scheme) do not get better by waiting: fail now (the delivery stays
        // redeliverable once the cause is fixed).
        if (attempt.StatusCode == 410 || attempt.ErrorKind is WebhookErrorKind.Blocked or WebhookErrorKind.ProcessingFailed)
        {
            return new(WebhookDeliveryStatus.Failed);
        }

        var delay = retryPolicy.GetNextDelay(new WebhookRetryContext(attempt.Number, attempt.StatusCode, attempt.ErrorKind, retryAfter));
        return delay is { } d
            ? new(WebhookDeliveryStatus.Pending, d)
            : new(WebhookDeliveryStatus.Failed);
    }

    private async Task NotifyAsync(WebhookDelivery before, WebhookAttempt attempt, WebhookDeliveryTransition transition, WebhookHealthChange change)
    {
        if (_observers.Length == 0)
        {
            return; // the hot path: nothing to tell
        }

        var after = before with
        {
            Status = transition.Status,
            AttemptCount = attempt.Number,
            LastAttemptAt = attempt.StartedAt,
            LastStatusCode = attempt.StatusCode,
            LastError = attempt.Error,
            NextAttemptAt = transition.Status == WebhookDeliveryStatus.Pending ? time.GetUtcNow() + transition.RetryDelay : null,
        };
        await NotifyAsync(o => o.OnAttemptAsync(before, attempt, CancellationToken.None)).ConfigureAwait(false);
        if (change.Recovered)
        {
            await NotifyAsync(o => o.OnDeliveryRecoveredAsync(after, attempt, CancellationToken.None)).ConfigureAwait(false);
        }

        if (transition.Status == WebhookDeliveryStatus.Failed)
        {
            await NotifyAsync(o => o.OnDeliveryFailedAsync(after, attempt, CancellationToken.None)).ConfigureAwait(false);
        }

        if (change.Disabled is { } disabled)
        {
            await NotifyAsync(o => o.OnSubscriptionDisabledAsync(disabled, change.DisabledReason!, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private async Task NotifyAsync(Func<IWebhookObserver, Task> call)
    {
        foreach (var observer in _observers)
        {
            try
            {
                await call(observer).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogObserverFailed(logger, ex, observer.GetType().Name);
            }
        }
    }

    /// <summary>A lease and when (monotonic timestamp) the call that took it started.</summary>
    private readonly record struct Leased(WebhookLease Lease, long LeasedAt);

    [LoggerMessage(1, LogLevel.Debug, "Delivery {DeliveryId} to subscription {SubscriptionId}: attempt {Attempt} answered {StatusCode} ({ErrorKind}); now {Status}.")]
    private static partial void LogAttempt(ILogger logger, string deliveryId, string subscriptionId, int attempt, int statusCode, WebhookErrorKind errorKind, WebhookDeliveryStatus status);

    [LoggerMessage(2, LogLevel.Warning, "The delivery store failed; retrying in {BackoffSeconds} s.")]
    private static partial void LogStoreError(ILogger logger, Exception exception, double backoffSeconds);

    [LoggerMessage(4, LogLevel.Warning, "The lease on delivery {DeliveryId} expired before its attempt was recorded; another dispatcher has it.")]
    private static partial void LogLeaseLost(ILogger logger, string deliveryId);

    [LoggerMessage(5, LogLevel.Error, "Processing delivery {DeliveryId} failed ({Failures} of {MaxTries} tries before it is given up).")]
    private static partial void LogProcessFailed(ILogger logger, Exception exception, string deliveryId, int failures, int maxTries);

    [LoggerMessage(6, LogLevel.Warning, "Could not release the lease on delivery {DeliveryId}; it will be taken over when the lease expires.")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string deliveryId);

    [LoggerMessage(7, LogLevel.Warning, "Webhook observer {Observer} threw; ignored.")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer);

    [LoggerMessage(8, LogLevel.Warning, "Shutdown timeout reached with attempts in flight; cancelling them and returning their deliveries to the queue.")]
    private static partial void LogShutdownAbort(ILogger logger);

    [LoggerMessage(9, LogLevel.Debug, "Delivery {DeliveryId} deferred: {Endpoint} already has the most attempts in flight allowed (WebhookOptions.MaxConnectionsPerEndpoint).")]
    private static partial void LogDeferred(ILogger logger, string deliveryId, string endpoint);

    [LoggerMessage(10, LogLevel.Warning, "Delivery {DeliveryId} not sent: only {LeaseLeftSeconds} s of its lease were left, less than an attempt may take; released for another turn (raise WebhookOptions.LeaseDuration if this repeats).")]
    private static partial void LogLeaseTooShort(ILogger logger, string deliveryId, double leaseLeftSeconds);

    [LoggerMessage(11, LogLevel.Warning, "The store refused to record delivery {DeliveryId}'s attempt; recording it again without the receiver's answer.")]
    private static partial void LogRecordRetried(ILogger logger, Exception exception, string deliveryId);
}
