using Microsoft.Extensions.Options;
using Webhooks.Core.Catalog;

namespace Webhooks.Core.Delivery;

/// <summary>Decides whether and when a failed attempt is retried. Replace it to change the schedule logic itself; to change only the delays, set <see cref="WebhookOptions.RetrySchedule"/>.</summary>
public interface IWebhookRetryPolicy
{
    /// <summary>The delay before the next attempt, or <see langword="null"/> to give up.</summary>
    /// <param name="context">The attempt that failed.</param>
    /// <returns>The delay, or <see langword="null"/>.</returns>
    TimeSpan? GetNextDelay(WebhookRetryContext context);
}

/// <summary>The failed attempt a retry policy decides on.</summary>
/// <param name="AttemptNumber">The attempt that failed (1 for the first).</param>
/// <param name="StatusCode">Its HTTP status code, if any.</param>
/// <param name="ErrorKind">What went wrong.</param>
/// <param name="RetryAfter">The receiver's <c>Retry-After</c>, if it sent one.</param>
/// <param name="EventType">The event type of the delivery, whose own schedule (<see cref="Catalog.WebhookEventType.RetrySchedule"/>) wins over the app's.</param>
public readonly record struct WebhookRetryContext(int AttemptNumber, int? StatusCode, WebhookErrorKind ErrorKind, TimeSpan? RetryAfter, string? EventType = null);

/// <summary>The event type's schedule, else <see cref="WebhookOptions.RetrySchedule"/>, with jitter; honours <c>Retry-After</c> on 429 and 503 up to <see cref="WebhookOptions.MaxRetryAfter"/>.</summary>
internal sealed class DefaultWebhookRetryPolicy(IOptions<WebhookOptions> options, IWebhookEventCatalog? catalog = null) : IWebhookRetryPolicy
{
    public TimeSpan? GetNextDelay(WebhookRetryContext context)
    {
        var o = options.Value;
        var schedule = (context.EventType is { } type ? catalog?.Find(type)?.RetrySchedule : null)
            ?? (IReadOnlyList<TimeSpan>?)(o.RetrySchedule as IReadOnlyList<TimeSpan> ?? o.RetrySchedule?.ToList())
            ?? WebhookOptions.DefaultRetrySchedule;
        if (context.AttemptNumber < 1 || context.AttemptNumber > schedule.Count)
        {
            return null;
        }

        var delay = schedule[context.AttemptNumber - 1];
        if (o.RetryJitter > 0)
        {
            var factor = 1 + (((Random.Shared.NextDouble() * 2) - 1) * o.RetryJitter);
            delay = TimeSpan.FromTicks((long)(delay.Ticks * factor));
        }

        if (context.RetryAfter is { } retryAfter && context.StatusCode is 429 or 503)
        {
            var capped = retryAfter > o.MaxRetryAfter ? o.MaxRetryAfter : retryAfter;
            if (capped > delay)
            {
                delay = capped;
            }
        }

        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }
}
