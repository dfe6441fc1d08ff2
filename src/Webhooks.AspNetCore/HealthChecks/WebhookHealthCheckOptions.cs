namespace Webhooks.AspNetCore.HealthChecks;

/// <summary>Settings of the webhooks health check (<c>AddHealthChecks().AddWebhooks()</c>).</summary>
public sealed class WebhookHealthCheckOptions
{
    /// <summary>
    /// The check reports Degraded when the oldest due delivery has waited longer than this to be
    /// sent: the dispatcher is not keeping up, or not running. Judged on the store's clock, from
    /// stores that report their backlog (<see cref="IWebhookDeliveryBacklog"/>).
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromMinutes(5);
}
