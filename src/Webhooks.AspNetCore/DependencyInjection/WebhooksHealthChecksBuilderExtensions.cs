using Microsoft.Extensions.Diagnostics.HealthChecks;
using Webhooks.AspNetCore.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the webhooks health check.</summary>
public static class WebhooksHealthChecksBuilderExtensions
{
    /// <summary>The name the check is registered under unless another is given.</summary>
    public const string DefaultName = "webhooks";

    /// <summary>
    /// Adds a health check of webhooks: Unhealthy (<paramref name="failureStatus"/>) when the
    /// subscription or delivery store cannot be reached; Degraded when the oldest due delivery has
    /// waited longer than <see cref="WebhookHealthCheckOptions.DegradedAfter"/> (5 minutes by default:
    /// the dispatcher is not keeping up, or not running); Healthy otherwise. The result's data holds
    /// the numbers: <c>pendingDeliveries</c>, <c>oldestDueWaitSeconds</c>, <c>oldestDueAt</c>,
    /// <c>degradedAfterSeconds</c>, <c>deliveryStore</c>. A delivery store that does not report its
    /// backlog (<see cref="IWebhookDeliveryBacklog"/>) is checked for reachability only, and the data
    /// says so under <c>backlog</c>. Webhooks themselves are registered with <c>services.AddWebhooks()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="configure">Changes <see cref="WebhookHealthCheckOptions"/>.</param>
    /// <param name="name">The check's name, unique among the app's checks.</param>
    /// <param name="failureStatus">What an unreachable store reports; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>).</param>
    /// <param name="timeout">How long the check may take before it fails; <see langword="null"/> for no limit of its own.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="WebhookHealthCheckOptions.DegradedAfter"/> is not positive.</exception>
    public static IHealthChecksBuilder AddWebhooks(
        this IHealthChecksBuilder builder,
        Action<WebhookHealthCheckOptions>? configure = null,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = new WebhookHealthCheckOptions();
        configure?.Invoke(options);
        if (options.DegradedAfter <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                nameof(configure),
                options.DegradedAfter,
                "WebhookHealthCheckOptions.DegradedAfter must be positive, such as TimeSpan.FromMinutes(5): the longest a due delivery may wait before the check reports Degraded.");
        }

        var degradedAfter = options.DegradedAfter;
        return builder.Add(new HealthCheckRegistration(name, sp => new WebhookHealthCheck(sp, degradedAfter), failureStatus, tags, timeout));
    }
}
