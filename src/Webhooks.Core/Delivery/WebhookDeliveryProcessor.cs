using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// One attempt, start to end, the same whichever dispatcher drives it (the hosted loop or an
/// on-demand <see cref="IWebhookDispatcher.DispatchAsync"/>): reads the subscription, checks that
/// the lease outlives the attempt and that the receiver has room, sends, completes the attempt
/// under the lease, applies the health rules and tells observers. One per process, so the
/// per-endpoint in-flight cap holds across every driver.
/// </summary>
internal sealed partial class WebhookDeliveryProcessor(
    IWebhookDeliveryStore deliveries,
    ProtectedSubscriptionStore subscriptions,
    WebhookSender sender,
    WebhookEndpointHealth health,
    WebhookCircuitBreaker circuits,
    WebhookRateLimiter rateLimiter,
    WebhookDispatchSignal signal,
    IWebhookRetryPolicy retryPolicy,
    IEnumerable<IWebhookObserver> observers,
    IOptions<WebhookOptions> options,
    WebhookTelemetry telemetry,
    TimeProvider time,
    ILogger<WebhookDeliveryProcessor> logger)
{
    /// <summary>How often a delivery whose processing keeps failing (not its sending) is tried before it is recorded as failed.</summary>
    internal const int MaxProcessingTries = 5;

    private readonly IWebhookObserver[] _observers = [.. observers];
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _endpointOfUrl = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _processingFailures = new(StringComparer.Ordinal);

    /// <summary>
    /// Makes one attempt under <paramref name="lease"/> (or hands the lease back) and records it.
    /// Never throws: every outcome, failures of processing included, ends recorded or released.
    /// </summary>
    /// <param name="lease">The lease.</param>
    /// <param name="leasedAt">The <see cref="Stopwatch"/> timestamp taken before the lease was asked for.</param>
    /// <param name="token">Cuts the attempt short (shutdown): the lease is then handed back.</param>
    /// <param name="batch">The lease call it came from, whose deliveries share their subscription reads; <see langword="null"/> to read alone.</param>
    /// <returns>What happened.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // the state machine is reused, not allocated per attempt
    public async ValueTask<WebhookProcessOutcome> ProcessAsync(WebhookLease lease, long leasedAt, CancellationToken token, WebhookLeaseBatch? batch = null)
    {
        var delivery = lease.Delivery;
        try
        {
            var subscription = await (batch is null
                ? subscriptions.GetAsync(delivery.SubscriptionId, token)
                : batch.GetAsync(subscriptions, delivery.SubscriptionId, token)).ConfigureAwait(false);
            if (subscription is null || !subscription.Active)
            {
                var reason = subscription is null
                    ? "The subscription was deleted; nothing was sent."
                    : "The subscription is disabled; nothing was sent." + (subscription.DisabledReason is { } r ? " " + r : "");
                return await FinishUnsentAsync(lease, reason).ConfigureAwait(false);
            }

            // Time spent in the buffer or reading the subscription counts against the lease: send only
            // if the attempt can finish before anyone else may take the delivery over.
            var o = options.Value;
            var leaseLeft = o.LeaseDuration - Stopwatch.GetElapsedTime(leasedAt);
            var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, (o.LeaseDuration - o.AttemptTimeout).Ticks / 2));
            if (leaseLeft < o.AttemptTimeout + margin)
            {
                LogLeaseTooShort(logger, delivery.Id, leaseLeft.TotalSeconds);
                await ReleaseAsync(lease, TimeSpan.Zero).ConfigureAwait(false);
                return WebhookProcessOutcome.Released;
            }

            // Over the subscription's rate limit: hold the delivery back without an attempt until a slot frees.
            var holdBack = await rateLimiter.TryAcquireAsync(subscription, token).ConfigureAwait(false);
            if (holdBack > TimeSpan.Zero)
            {
                LogRateLimited(logger, delivery.Id, delivery.SubscriptionId, subscription.RateLimit ?? 0, holdBack.TotalMilliseconds);
                await ReleaseAsync(lease, holdBack).ConfigureAwait(false);
                return WebhookProcessOutcome.Released;
            }

            var endpoint = EndpointOf(subscription.Url);
            if (!circuits.TryPass(endpoint, out var holdFor))
            {
                // The endpoint's circuit is open: hold the delivery back without an attempt, so the
                // break uses up none of its retries.
                await ReleaseAsync(lease, holdFor).ConfigureAwait(false);
                return WebhookProcessOutcome.Released;
            }

            if (!TryEnterEndpoint(endpoint))
            {
                // The receiver already has as many attempts in flight as allowed: do not let it hold a
                // worker (a hanging receiver would starve every other one); try again a little later.
                LogDeferred(logger, delivery.Id, endpoint);
                await ReleaseAsync(lease, EndpointBusyDelay).ConfigureAwait(false);
                return WebhookProcessOutcome.Released;
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

            var circuit = circuits.Record(endpoint, attempt);
            var transition = Decide(attempt, retryAfter, delivery.EventType);
            if (!await CompleteAsync(lease, attempt, transition).ConfigureAwait(false))
            {
                LogLeaseLost(logger, delivery.Id);
                return WebhookProcessOutcome.LeaseLost;
            }

            ForgetProcessingFailures(delivery.Id);
            Finished(delivery, transition.Status, attempt.Error);
            if (telemetry.AttemptsObserved)
            {
                telemetry.Attempted(delivery.EventType, attempt, transition.Status, HostOf(endpoint), lease.Message.CreatedAt, time.GetUtcNow());
            }

            LogAttempt(logger, delivery.Id, delivery.SubscriptionId, attempt.Number, attempt.StatusCode ?? 0, attempt.ErrorKind, transition.Status);
            var change = await health.RecordAsync(subscription, attempt).ConfigureAwait(false);
            await NotifyAsync(delivery, attempt, transition, change).ConfigureAwait(false);
            if (circuit.Endpoint is not null && _observers.Length > 0)
            {
                await NotifyCircuitAsync(circuit).ConfigureAwait(false);
            }
            return transition.Status switch
            {
                WebhookDeliveryStatus.Succeeded => WebhookProcessOutcome.Succeeded,
                WebhookDeliveryStatus.Pending => WebhookProcessOutcome.Retrying,
                _ => WebhookProcessOutcome.Failed,
            };
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            await ReleaseAsync(lease, TimeSpan.Zero).ConfigureAwait(false);
            return WebhookProcessOutcome.Released;
        }
        catch (Exception ex)
        {
            return await ProcessingFailedAsync(lease, ex).ConfigureAwait(false);
        }
    }

    /// <summary>Hands a lease back without an attempt; a failure is logged (the lease then expires and is taken over).</summary>
    /// <param name="lease">The lease.</param>
    /// <param name="delay">How long until the delivery is due again.</param>
    /// <returns>A task.</returns>
    public async Task ReleaseAsync(WebhookLease lease, TimeSpan delay)
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

    private async Task<WebhookProcessOutcome> FinishUnsentAsync(WebhookLease lease, string reason)
    {
        var transition = new WebhookDeliveryTransition(WebhookDeliveryStatus.Failed, Reason: reason);
        if (!await deliveries.CompleteAttemptAsync(lease, null, transition, CancellationToken.None).ConfigureAwait(false))
        {
            LogLeaseLost(logger, lease.Delivery.Id);
            return WebhookProcessOutcome.LeaseLost;
        }

        ForgetProcessingFailures(lease.Delivery.Id);
        Finished(lease.Delivery, WebhookDeliveryStatus.Failed, reason);
        if (_observers.Length > 0)
        {
            var after = lease.Delivery with { Status = WebhookDeliveryStatus.Failed, NextAttemptAt = null, LastError = reason };
            await NotifyAsync(o => o.OnDeliveryNotSentAsync(after, reason, CancellationToken.None)).ConfigureAwait(false);
        }

        return WebhookProcessOutcome.NotSent;
    }

    /// <summary>Forgets a delivery's failed processing tries; a lock-free look first, since there almost never are any.</summary>
    private void ForgetProcessingFailures(string deliveryId)
    {
        if (_processingFailures.TryGetValue(deliveryId, out _))
        {
            _processingFailures.TryRemove(deliveryId, out _);
        }
    }

    /// <summary>
    /// Processing (not the receiver) failed: a store, the secret protector or a signer threw. Try
    /// again a little later, a bounded number of times, then record a failed attempt that says why,
    /// so a delivery never loops unrecorded.
    /// </summary>
    private async Task<WebhookProcessOutcome> ProcessingFailedAsync(WebhookLease lease, Exception ex)
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
                return WebhookProcessOutcome.Released;
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
                Finished(lease.Delivery, WebhookDeliveryStatus.Failed, attempt.Error);
                await NotifyAsync(o => o.OnDeliveryFailedAsync(lease.Delivery with { Status = WebhookDeliveryStatus.Failed, AttemptCount = attempt.Number, LastError = attempt.Error }, attempt, CancellationToken.None)).ConfigureAwait(false);
                return WebhookProcessOutcome.Failed;
            }

            return WebhookProcessOutcome.LeaseLost;
        }
        catch (Exception again)
        {
            // The store itself is failing: the lease expires and the delivery is taken again later; nothing is lost.
            LogReleaseFailed(logger, again, id);
            return WebhookProcessOutcome.Released;
        }
    }

    /// <summary>
    /// A delivery with an ordering key finished: the next of its key may go now, so wake this
    /// process's dispatcher rather than wait for the next poll; a give-up is logged, since the
    /// next one proceeds without it.
    /// </summary>
    private void Finished(WebhookDelivery delivery, WebhookDeliveryStatus status, string? error)
    {
        if (delivery.OrderingKey is null || status == WebhookDeliveryStatus.Pending)
        {
            return;
        }

        if (status == WebhookDeliveryStatus.Failed)
        {
            LogOrderedGivenUp(logger, delivery.Id, delivery.SubscriptionId, delivery.OrderingKey, error ?? "");
        }

        signal.Notify();
    }

    /// <summary>How many endpoints have attempts in flight now (the map keeps no others).</summary>
    internal int InFlightEndpointCount => _inFlight.Count;

    private TimeSpan EndpointBusyDelay => TimeSpan.FromTicks(Math.Clamp(options.Value.AttemptTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 2));

    /// <summary>An endpoint's count of attempts in flight; <see cref="Retired"/> once it dropped to zero and left the map.</summary>
    private sealed class InFlight
    {
        public const int Retired = -1;
        public int Count;
    }

    // Lock-free (every worker enters and exits once per attempt): a count is raised by compare-and-swap
    // below the cap, and retired (never raised again) when it drops to zero, so an endpoint with
    // nothing in flight leaves the map and the cap holds across the swap to a fresh count.
    internal bool TryEnterEndpoint(string endpoint)
    {
        int max = options.Value.MaxConnectionsPerEndpoint;
        while (true)
        {
            var counter = _inFlight.GetOrAdd(endpoint, static _ => new InFlight());
            int n = Volatile.Read(ref counter.Count);
            if (n == InFlight.Retired)
            {
                _inFlight.TryRemove(new KeyValuePair<string, InFlight>(endpoint, counter)); // help the exit that retired it
                continue;
            }

            if (n >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter.Count, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    internal void ExitEndpoint(string endpoint)
    {
        if (!_inFlight.TryGetValue(endpoint, out var counter))
        {
            return;
        }

        if (Interlocked.Decrement(ref counter.Count) == 0 && Interlocked.CompareExchange(ref counter.Count, InFlight.Retired, 0) == 0)
        {
            _inFlight.TryRemove(new KeyValuePair<string, InFlight>(endpoint, counter)); // the map holds only endpoints with attempts in flight
        }
    }

    /// <summary>The host part of an endpoint key (<c>scheme://host:port</c>), for the <c>server.address</c> tag.</summary>
    private static string HostOf(string endpoint)
    {
        int start = endpoint.IndexOf("://", StringComparison.Ordinal) + 3;
        int end = endpoint.LastIndexOf(':');
        return end > start ? endpoint[start..end] : endpoint[start..];
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

        endpoint = WebhookCircuitBreaker.EndpointOf(url);
        if (_endpointOfUrl.Count > 10_000)
        {
            _endpointOfUrl.Clear();
        }

        _endpointOfUrl[url] = endpoint;
        return endpoint;
    }

    private WebhookDeliveryTransition Decide(WebhookAttempt attempt, TimeSpan? retryAfter, string eventType)
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

        var delay = retryPolicy.GetNextDelay(new WebhookRetryContext(attempt.Number, attempt.StatusCode, attempt.ErrorKind, retryAfter, eventType));
        return delay is { } d
            ? new(WebhookDeliveryStatus.Pending, d)
            : new(WebhookDeliveryStatus.Failed);
    }

    // Separate methods, so that the closures they need are allocated only when there is an observer to call.
    private Task NotifyCircuitAsync(WebhookCircuitChange circuit)
        => NotifyAsync(o => o.OnEndpointCircuitChangedAsync(circuit.Endpoint!, circuit.OpenUntil, CancellationToken.None));

    private Task NotifyAsync(WebhookDelivery before, WebhookAttempt attempt, WebhookDeliveryTransition transition, WebhookHealthChange change)
        => _observers.Length == 0
            ? Task.CompletedTask // the hot path: nothing to tell
            : NotifyObserversAsync(before, attempt, transition, change);

    private async Task NotifyObserversAsync(WebhookDelivery before, WebhookAttempt attempt, WebhookDeliveryTransition transition, WebhookHealthChange change)
    {
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

    [LoggerMessage(1, LogLevel.Debug, "Delivery {DeliveryId} to subscription {SubscriptionId}: attempt {Attempt} answered {StatusCode} ({ErrorKind}); now {Status}.")]
    private static partial void LogAttempt(ILogger logger, string deliveryId, string subscriptionId, int attempt, int statusCode, WebhookErrorKind errorKind, WebhookDeliveryStatus status);

    [LoggerMessage(4, LogLevel.Warning, "The lease on delivery {DeliveryId} expired before its attempt was recorded; another dispatcher has it.")]
    private static partial void LogLeaseLost(ILogger logger, string deliveryId);

    [LoggerMessage(5, LogLevel.Error, "Processing delivery {DeliveryId} failed ({Failures} of {MaxTries} tries before it is given up).")]
    private static partial void LogProcessFailed(ILogger logger, Exception exception, string deliveryId, int failures, int maxTries);

    [LoggerMessage(6, LogLevel.Warning, "Could not release the lease on delivery {DeliveryId}; it will be taken over when the lease expires.")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string deliveryId);

    [LoggerMessage(7, LogLevel.Warning, "Webhook observer {Observer} threw; ignored.")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer);

    [LoggerMessage(9, LogLevel.Debug, "Delivery {DeliveryId} deferred: {Endpoint} already has the most attempts in flight allowed (WebhookOptions.MaxConnectionsPerEndpoint).")]
    private static partial void LogDeferred(ILogger logger, string deliveryId, string endpoint);

    [LoggerMessage(10, LogLevel.Warning, "Delivery {DeliveryId} not sent: only {LeaseLeftSeconds} s of its lease were left, less than an attempt may take; released for another turn (raise WebhookOptions.LeaseDuration if this repeats).")]
    private static partial void LogLeaseTooShort(ILogger logger, string deliveryId, double leaseLeftSeconds);

    [LoggerMessage(13, LogLevel.Debug, "Delivery {DeliveryId} held back for {DelayMs} ms: subscription {SubscriptionId} is at its rate limit of {RateLimit} per second (no attempt counted).")]
    private static partial void LogRateLimited(ILogger logger, string deliveryId, string subscriptionId, int rateLimit, double delayMs);

    [LoggerMessage(14, LogLevel.Warning, "Ordered delivery {DeliveryId} to subscription {SubscriptionId} (ordering key {OrderingKey}) was given up ({Error}); the next delivery with this key proceeds without it.")]
    private static partial void LogOrderedGivenUp(ILogger logger, string deliveryId, string subscriptionId, string orderingKey, string error);

    [LoggerMessage(11, LogLevel.Warning, "The store refused to record delivery {DeliveryId}'s attempt; recording it again without the receiver's answer.")]
    private static partial void LogRecordRetried(ILogger logger, Exception exception, string deliveryId);
}
