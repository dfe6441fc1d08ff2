using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The hosted service that sends due deliveries: leases them from the store in batches, runs up
/// to <see cref="WebhookOptions.MaxConcurrentDeliveries"/> attempts at once, records each, and
/// decides retry, give-up or disable. On shutdown it stops leasing, lets in-flight attempts finish
/// within the host's shutdown timeout, and hands back the leases of any it had to cut short.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IWebhookDeliveryStore deliveries,
    IWebhookSubscriptionStore subscriptions,
    WebhookSender sender,
    IWebhookRetryPolicy retryPolicy,
    IEnumerable<IWebhookObserver> observers,
    WebhookDispatchSignal signal,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private const int MaxBatch = 256;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _abort = new();
    private readonly IWebhookObserver[] _observers = [.. observers];
    private readonly ConcurrentDictionary<string, StrongBox<int>> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One feeder leases due deliveries into a bounded buffer; MaxConcurrentDeliveries workers
        // take from it and send, each in its own loop (as a hand-written HttpClient loop would), so
        // a busy dispatcher costs no extra hand-off per delivery.
        var o = options.Value;
        var buffer = Channel.CreateBounded<WebhookLease>(new BoundedChannelOptions(o.MaxConcurrentDeliveries)
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

    private async Task FeedAsync(Channel<WebhookLease> buffer, WebhookOptions o, CancellationToken stoppingToken)
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
                var leases = await deliveries.LeaseAsync(Math.Clamp(room, 1, MaxBatch), time.GetUtcNow(), o.LeaseDuration, stoppingToken).ConfigureAwait(false);
                if (leases.Count == 0)
                {
                    await signal.WaitAsync(o.PollInterval, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                for (int i = 0; i < leases.Count; i++)
                {
                    if (!buffer.Writer.TryWrite(leases[i]))
                    {
                        try
                        {
                            await buffer.Writer.WriteAsync(leases[i], stoppingToken).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            // Stopping: hand back what was leased but never started.
                            for (int j = i; j < leases.Count; j++)
                            {
                                await ReleaseAsync(leases[j]).ConfigureAwait(false);
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

    private async Task WorkAsync(ChannelReader<WebhookLease> reader, CancellationToken stoppingToken)
    {
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out var lease))
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    await ReleaseAsync(lease).ConfigureAwait(false); // buffered, not started: back to the queue
                }
                else
                {
                    await ProcessAsync(lease).ConfigureAwait(false);
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

    private async Task ReleaseAsync(WebhookLease lease, TimeSpan delay = default)
    {
        try
        {
            await deliveries.ReleaseAsync(lease, time.GetUtcNow() + delay, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, ex, lease.Delivery.Id);
        }
    }

    private async Task ProcessAsync(WebhookLease lease)
    {
        var token = _abort.Token;
        var delivery = lease.Delivery;
        try
        {
            var subscription = await subscriptions.GetAsync(delivery.SubscriptionId, token).ConfigureAwait(false);
            int number = delivery.AttemptCount + 1;
            WebhookAttempt attempt;
            TimeSpan? retryAfter = null;
            if (subscription is null || !subscription.Active)
            {
                attempt = new WebhookAttempt
                {
                    Number = number,
                    StartedAt = time.GetUtcNow(),
                    ErrorKind = WebhookErrorKind.SubscriptionUnavailable,
                    Error = subscription is null
                        ? "The subscription was deleted; nothing was sent."
                        : "The subscription is disabled; nothing was sent." + (subscription.DisabledReason is { } r ? " " + r : ""),
                };
            }
            else if (!TryEnterEndpoint(subscription.Url, out var endpoint))
            {
                // The receiver already has as many attempts in flight as allowed: do not let it hold a
                // worker (a hanging receiver would starve every other one); try again a little later.
                LogDeferred(logger, delivery.Id, endpoint);
                await ReleaseAsync(lease, EndpointBusyDelay).ConfigureAwait(false);
                return;
            }
            else
            {
                var target = new WebhookTarget(
                    subscription.Url,
                    subscription.Auth,
                    subscription.Headers,
                    subscription.GetSigningSecrets(time.GetUtcNow()),
                    subscription.SignatureScheme ?? options.Value.DefaultSignatureScheme,
                    subscription.Name);
                try
                {
                    (attempt, retryAfter) = await sender.SendAsync(target, lease.Message, number, token).ConfigureAwait(false);
                }
                finally
                {
                    ExitEndpoint(endpoint);
                }
            }

            var transition = Decide(attempt, retryAfter);
            var recorded = await deliveries.RecordAttemptAsync(lease, attempt, transition, CancellationToken.None).ConfigureAwait(false);
            if (!recorded.LeaseHeld)
            {
                LogLeaseLost(logger, delivery.Id);
                return;
            }

            LogAttempt(logger, delivery.Id, delivery.SubscriptionId, number, attempt.StatusCode ?? 0, attempt.ErrorKind, transition.Status);
            await AfterAttemptAsync(subscription, delivery, attempt, transition, recorded).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            await ReleaseAsync(lease).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The lease expires and the delivery is attempted again: at least once, never lost.
            LogProcessFailed(logger, ex, delivery.Id);
        }
    }

    private TimeSpan EndpointBusyDelay => TimeSpan.FromTicks(Math.Clamp(options.Value.AttemptTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 2));

    private bool TryEnterEndpoint(string url, out string endpoint)
    {
        endpoint = EndpointOf(url);
        var counter = _endpoints.GetOrAdd(endpoint, static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref counter.Value) <= options.Value.MaxConnectionsPerEndpoint)
        {
            return true;
        }

        Interlocked.Decrement(ref counter.Value);
        return false;
    }

    private void ExitEndpoint(string endpoint)
    {
        if (_endpoints.TryGetValue(endpoint, out var counter))
        {
            Interlocked.Decrement(ref counter.Value);
        }
    }

    /// <summary>scheme://host:port of an absolute URL, without parsing it into a Uri on the hot path.</summary>
    internal static string EndpointOf(string url)
    {
        int start = url.IndexOf("://", StringComparison.Ordinal);
        start = start < 0 ? 0 : start + 3;
        int end = url.AsSpan(start).IndexOfAny('/', '?', '#');
        return end < 0 ? url : url[..(start + end)];
    }

    private WebhookDeliveryTransition Decide(WebhookAttempt attempt, TimeSpan? retryAfter)
    {
        if (attempt.Succeeded)
        {
            return new(WebhookDeliveryStatus.Succeeded, null);
        }

        // 410 Gone, a subscription that is gone, and a target the network policy refuses do not get
        // better by waiting: fail now (the delivery stays redeliverable once the cause is fixed).
        if (attempt.StatusCode == 410 || attempt.ErrorKind is WebhookErrorKind.SubscriptionUnavailable or WebhookErrorKind.Blocked)
        {
            return new(WebhookDeliveryStatus.Failed, null);
        }

        var delay = retryPolicy.GetNextDelay(new WebhookRetryContext(attempt.Number, attempt.StatusCode, attempt.ErrorKind, retryAfter));
        return delay is { } d
            ? new(WebhookDeliveryStatus.Pending, time.GetUtcNow() + d)
            : new(WebhookDeliveryStatus.Failed, null);
    }

    private async Task AfterAttemptAsync(WebhookSubscription? subscription, WebhookDelivery before, WebhookAttempt attempt, WebhookDeliveryTransition transition, WebhookAttemptRecorded recorded)
    {
        if (attempt.Succeeded && _observers.Length == 0)
        {
            return; // the hot path: nothing to tell, nothing to disable
        }

        var after = before with
        {
            Status = transition.Status,
            AttemptCount = attempt.Number,
            LastAttemptAt = attempt.StartedAt,
            LastStatusCode = attempt.StatusCode,
            LastError = attempt.Error,
            NextAttemptAt = transition.NextAttemptAt,
        };
        await NotifyAsync(o => o.OnAttemptAsync(before, attempt, CancellationToken.None)).ConfigureAwait(false);
        if (attempt.Succeeded && recorded.WasFailing)
        {
            await NotifyAsync(o => o.OnDeliveryRecoveredAsync(after, attempt, CancellationToken.None)).ConfigureAwait(false);
        }

        if (transition.Status == WebhookDeliveryStatus.Failed && attempt.ErrorKind != WebhookErrorKind.SubscriptionUnavailable)
        {
            await NotifyAsync(o => o.OnDeliveryFailedAsync(after, attempt, CancellationToken.None)).ConfigureAwait(false);
        }

        if (subscription is null || attempt.Succeeded || attempt.ErrorKind == WebhookErrorKind.SubscriptionUnavailable)
        {
            return;
        }

        if (attempt.StatusCode == 410)
        {
            await DisableAsync(subscription.Id, "The receiver answered 410 Gone, so the subscription was disabled.").ConfigureAwait(false);
        }
        else if (recorded.FailingSince is { } since && time.GetUtcNow() - since >= options.Value.DisableAfterFailingFor)
        {
            await DisableAsync(subscription.Id, $"Every attempt since {since:u} failed, so the subscription was disabled.").ConfigureAwait(false);
        }
    }

    private async Task DisableAsync(string subscriptionId, string reason)
    {
        for (int tries = 0; tries < 5; tries++)
        {
            var current = await subscriptions.GetAsync(subscriptionId, CancellationToken.None).ConfigureAwait(false);
            if (current is null || !current.Active)
            {
                return;
            }

            try
            {
                var disabled = await subscriptions.UpdateAsync(current with { Active = false, DisabledReason = reason, UpdatedAt = time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
                if (disabled is not null)
                {
                    LogDisabled(logger, subscriptionId, reason);
                    await NotifyAsync(o => o.OnSubscriptionDisabledAsync(disabled, reason, CancellationToken.None)).ConfigureAwait(false);
                }

                return;
            }
            catch (WebhookConcurrencyException)
            {
                // Changed meanwhile: read again and retry.
            }
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

    [LoggerMessage(2, LogLevel.Warning, "The delivery store failed; retrying in {BackoffSeconds} s.")]
    private static partial void LogStoreError(ILogger logger, Exception exception, double backoffSeconds);

    [LoggerMessage(3, LogLevel.Warning, "Subscription {SubscriptionId} disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string subscriptionId, string reason);

    [LoggerMessage(4, LogLevel.Warning, "The lease on delivery {DeliveryId} expired before its attempt was recorded; another dispatcher has it.")]
    private static partial void LogLeaseLost(ILogger logger, string deliveryId);

    [LoggerMessage(5, LogLevel.Error, "Processing delivery {DeliveryId} failed; it will be attempted again when its lease expires.")]
    private static partial void LogProcessFailed(ILogger logger, Exception exception, string deliveryId);

    [LoggerMessage(6, LogLevel.Warning, "Could not release the lease on delivery {DeliveryId}; it will be taken over when the lease expires.")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string deliveryId);

    [LoggerMessage(7, LogLevel.Warning, "Webhook observer {Observer} threw; ignored.")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer);

    [LoggerMessage(9, LogLevel.Debug, "Delivery {DeliveryId} deferred: {Endpoint} already has the most attempts in flight allowed (WebhookOptions.MaxConnectionsPerEndpoint).")]
    private static partial void LogDeferred(ILogger logger, string deliveryId, string endpoint);

    [LoggerMessage(8, LogLevel.Warning, "Shutdown timeout reached with attempts in flight; cancelling them and returning their deliveries to the queue.")]
    private static partial void LogShutdownAbort(ILogger logger);
}
