namespace Webhooks.AspNetCore.Models;

/// <summary>Succeeded and failed attempts over one window, a total per subscription: the counts of a table of webhooks in one request.</summary>
public sealed class WebhookStatsBySubscriptionResponse
{
    /// <summary>The window's start.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>The window's end (now).</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>One total per subscription asked for, in the order asked; ids that are not the caller's are left out.</summary>
    public required IReadOnlyList<WebhookSubscriptionStatsResponse> Items { get; init; }
}
