namespace Webhooks.Core.Delivery;

/// <summary>
/// Hears about the lifecycle steps an app may act on (tell a customer their endpoint was
/// disabled, alert on give-ups), as Svix's operational webhooks do. Register any number with
/// <c>AddObserver&lt;T&gt;()</c>; override only what you need. An observer that throws is logged and ignored.
/// </summary>
public interface IWebhookObserver
{
    /// <summary>The library disabled a subscription (410 Gone, or failing for too long).</summary>
    /// <param name="subscription">The subscription as disabled.</param>
    /// <param name="reason">Why.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task.</returns>
    Task OnSubscriptionDisabledAsync(WebhookSubscription subscription, string reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A delivery failed for good (no retry left); it can still be redelivered.</summary>
    /// <param name="delivery">The failed delivery.</param>
    /// <param name="lastAttempt">Its last attempt.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task.</returns>
    Task OnDeliveryFailedAsync(WebhookDelivery delivery, WebhookAttempt lastAttempt, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A delivery was finished without being sent: its subscription was deleted or disabled before its turn. It can be redelivered once the subscription is enabled.</summary>
    /// <param name="delivery">The delivery, as finished (failed).</param>
    /// <param name="reason">Why nothing was sent.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task.</returns>
    Task OnDeliveryNotSentAsync(WebhookDelivery delivery, string reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A subscription whose attempts had been failing received one successfully again.</summary>
    /// <param name="delivery">The delivery that succeeded.</param>
    /// <param name="attempt">The successful attempt.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task.</returns>
    Task OnDeliveryRecoveredAsync(WebhookDelivery delivery, WebhookAttempt attempt, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// An endpoint's circuit opened (its attempts failed at a high rate: deliveries to it wait until
    /// <paramref name="openUntil"/>, then one probe is sent) or closed (<paramref name="openUntil"/> is
    /// <see langword="null"/>: the probe succeeded). See <see cref="WebhookOptions.CircuitBreaker"/>.
    /// </summary>
    /// <param name="endpoint">The endpoint: <c>scheme://host:port</c>.</param>
    /// <param name="openUntil">When the break ends, or <see langword="null"/> when the circuit closed.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task.</returns>
    Task OnEndpointCircuitChangedAsync(string endpoint, DateTimeOffset? openUntil, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Any attempt finished, successful or not.</summary>
    /// <param name="delivery">The delivery, as before the attempt.</param>
    /// <param name="attempt">The attempt.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task.</returns>
    Task OnAttemptAsync(WebhookDelivery delivery, WebhookAttempt attempt, CancellationToken cancellationToken) => Task.CompletedTask;
}
