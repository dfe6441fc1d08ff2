using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The endpoint health rules, kept once for every store: a subscription is failing from its first
/// failed attempt until its next successful one (<see cref="WebhookSubscription.FailingSince"/>);
/// failing for <see cref="WebhookOptions.DisableAfterFailingFor"/>, or one 410 Gone, disables it.
/// Only attempts actually sent count, and only to the URL the subscription still has: an attempt
/// to a URL the user has since changed says nothing about the new one. Enabling a subscription or
/// changing its URL starts it healthy (<see cref="WebhookSubscriptionManager"/> clears the field).
/// </summary>
internal sealed partial class WebhookEndpointHealth(
    ProtectedSubscriptionStore subscriptions,
    IOptions<WebhookOptions> options,
    WebhookTelemetry telemetry,
    TimeProvider time,
    ILogger<WebhookEndpointHealth> logger)
{
    private const int MaxWriteTries = 5;

    /// <summary>Applies one sent attempt to the health of the subscription it was sent to.</summary>
    /// <param name="sentTo">The subscription as read before the attempt.</param>
    /// <param name="attempt">The attempt (sent).</param>
    /// <returns>What changed.</returns>
    public Task<WebhookHealthChange> RecordAsync(WebhookSubscription sentTo, WebhookAttempt attempt)
    {
        // The common cases need no write (and no task of their own): healthy and succeeding, or failing and not for long enough.
        if (attempt.Succeeded ? sentTo.FailingSince is null : sentTo.FailingSince is { } since && attempt.StatusCode != 410 && !IsTooLong(since))
        {
            return NoChange;
        }

        return RecordChangeAsync(sentTo, attempt);
    }

    private static readonly Task<WebhookHealthChange> NoChange = Task.FromResult<WebhookHealthChange>(default);

    private async Task<WebhookHealthChange> RecordChangeAsync(WebhookSubscription sentTo, WebhookAttempt attempt)
    {

        var current = sentTo;
        for (int tries = 0; tries < MaxWriteTries && current is { Active: true } && current.Url == sentTo.Url; tries++)
        {
            WebhookSubscription next = current;
            string? disabledReason = null;
            if (attempt.Succeeded)
            {
                if (current.FailingSince is null)
                {
                    return default;
                }

                next = current with { FailingSince = null };
            }
            else if (attempt.StatusCode == 410)
            {
                disabledReason = "The receiver answered 410 Gone, so the subscription was disabled.";
            }
            else if (current.FailingSince is null)
            {
                next = current with { FailingSince = attempt.StartedAt };
            }
            else if (IsTooLong(current.FailingSince.Value))
            {
                disabledReason = $"Every attempt since {current.FailingSince.Value:u} failed, so the subscription was disabled.";
            }
            else
            {
                return default;
            }

            if (disabledReason is not null)
            {
                next = current with { Active = false, DisabledReason = disabledReason, UpdatedAt = time.GetUtcNow() };
            }

            try
            {
                var stored = await subscriptions.UpdateAsync(next, CancellationToken.None).ConfigureAwait(false);
                if (stored is null)
                {
                    return default; // deleted meanwhile
                }

                if (disabledReason is not null)
                {
                    telemetry.Disabled(attempt.StatusCode == 410 ? "gone" : "failing");
                    LogDisabled(logger, stored.Id, disabledReason);
                    return new WebhookHealthChange(Recovered: false, Disabled: stored, DisabledReason: disabledReason);
                }

                return new WebhookHealthChange(Recovered: attempt.Succeeded, Disabled: null, DisabledReason: null);
            }
            catch (WebhookConcurrencyException)
            {
                // Changed meanwhile (a user's edit, another instance's attempt): decide again on what is stored now.
                current = await subscriptions.GetAsync(sentTo.Id, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return default;
    }

    private bool IsTooLong(DateTimeOffset failingSince) => time.GetUtcNow() - failingSince >= options.Value.DisableAfterFailingFor;

    [LoggerMessage(3, LogLevel.Warning, "Subscription {SubscriptionId} disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string subscriptionId, string reason);
}

/// <summary>What an attempt changed in a subscription's health.</summary>
/// <param name="Recovered">It had been failing and this success ended that.</param>
/// <param name="Disabled">The subscription as disabled by this attempt, if it was.</param>
/// <param name="DisabledReason">Why it was disabled.</param>
internal readonly record struct WebhookHealthChange(bool Recovered, WebhookSubscription? Disabled, string? DisabledReason);
