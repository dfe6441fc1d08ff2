namespace Webhooks.Core.Delivery;

/// <summary>
/// Sends due deliveries on demand: for hosts without a long-running background service (Azure
/// Functions, AWS Lambda, a Kubernetes CronJob) and for apps that run sends from their own job
/// system (Hangfire, Quartz, a queue consumer). The hosted dispatcher that <c>AddWebhooks()</c>
/// registers is one driver of the same work; turn it off with <c>Webhooks:Dispatcher:Enabled=false</c>
/// on publish-only instances. Safe to call from several callers and processes at once: leases
/// keep any delivery from being sent twice at the same time.
/// </summary>
public interface IWebhookDispatcher
{
    /// <summary>
    /// Leases due deliveries and sends them, up to <see cref="WebhookOptions.MaxConcurrentDeliveries"/>
    /// at once, until none is due or <paramref name="timeLimit"/> is nearly spent: it stops leasing
    /// when the time left is shorter than an attempt can take (<see cref="WebhookOptions.AttemptTimeout"/>),
    /// lets the attempts in flight finish, and hands back every lease it took but did not start, so a
    /// caller that runs for at most <paramref name="timeLimit"/> never leaves a lease to expire.
    /// </summary>
    /// <param name="timeLimit">How long the call may run; at least <see cref="WebhookOptions.AttemptTimeout"/> for anything to be sent.</param>
    /// <param name="cancellationToken">Stops early: attempts in flight are cut short and their leases handed back (nothing is lost).</param>
    /// <returns>What the call did.</returns>
    Task<WebhookDispatchResult> DispatchAsync(TimeSpan timeLimit, CancellationToken cancellationToken = default);
}
