using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;

using Webhooks.Core;

namespace Webhooks.AspNetCore.HealthChecks;

/// <summary>
/// Unhealthy (the registration's failure status) when a store cannot be reached, Degraded when the
/// oldest due delivery has waited longer than <see cref="WebhookHealthCheckOptions.DegradedAfter"/>,
/// Healthy otherwise; the numbers go in the result's data. Each store is reached with one cheap read:
/// the subscription store by a key no subscription has, the delivery store through its backlog (or,
/// without that capability, a one-row page of its log).
/// </summary>
internal sealed class WebhookHealthCheck(IServiceProvider services, TimeSpan degradedAfter) : IHealthCheck
{
    // A well-formed id no subscription gets: ids lead with their creation time, and this one is all zeros (1970).
    private const string ProbeId = WebhookIds.SubscriptionPrefix + "00000000000000000000000000";

    private const string ProbeOwner = "webhooks-health-check";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var subscriptions = services.GetService<IWebhookSubscriptionStore>();
        var deliveries = services.GetService<IWebhookDeliveryStore>();
        if (subscriptions is null || deliveries is null)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Webhooks are not registered: call services.AddWebhooks() as well as AddHealthChecks().AddWebhooks().");
        }

        // A publish-only instance is information, not a fault: the backlog below says whether anyone sends.
        bool dispatching = services.GetService<IOptions<WebhookOptions>>()?.Value.Dispatcher.Enabled ?? true;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["deliveryStore"] = deliveries.GetType().Name,
            ["degradedAfterSeconds"] = degradedAfter.TotalSeconds,
            ["dispatcher"] = dispatching ? "enabled" : "disabled: this instance only enqueues; a worker or IWebhookDispatcher.DispatchAsync sends",
        };
        string doing = "reading the subscription store";
        try
        {
            await subscriptions.GetAsync(ProbeId, cancellationToken).ConfigureAwait(false);
            doing = "reading the delivery store";
            if (deliveries is not IWebhookDeliveryBacklog backlogStore)
            {
                if (deliveries is IWebhookDeliveryLog log)
                {
                    await log.QueryAsync(new WebhookDeliveryQuery(ProbeOwner, Limit: 1), cancellationToken).ConfigureAwait(false);
                }

                data["backlog"] = $"not reported: {deliveries.GetType().Name} does not implement IWebhookDeliveryBacklog, so only whether the stores can be reached is checked";
                return HealthCheckResult.Healthy("The webhook stores can be reached (the delivery store does not report its backlog).", data);
            }

            var backlog = await backlogStore.GetBacklogAsync(cancellationToken).ConfigureAwait(false);
            var wait = backlog.OldestDueWait;
            data["pendingDeliveries"] = backlog.Pending;
            data["oldestDueWaitSeconds"] = Math.Round(wait.TotalSeconds, 3);
            if (backlog.OldestDueAt is { } oldest)
            {
                data["oldestDueAt"] = oldest.ToString("O", CultureInfo.InvariantCulture);
            }

            return wait > degradedAfter
                ? HealthCheckResult.Degraded(
                    $"The oldest due webhook delivery has waited {Describe(wait)}, longer than {Describe(degradedAfter)}: the dispatcher is not keeping up, or not running ({backlog.Pending} pending).",
                    data: data)
                : HealthCheckResult.Healthy(
                    backlog.OldestDueAt is null
                        ? $"{backlog.Pending} webhook deliveries pending, none overdue."
                        : $"{backlog.Pending} webhook deliveries pending; the oldest due has waited {Describe(wait)}.",
                    data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The webhook stores could not be reached ({doing}): {ex.Message}", ex, data);
        }
    }

    private static string Describe(TimeSpan span) => span.TotalSeconds < 120
        ? span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s"
        : span.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + " min";
}
