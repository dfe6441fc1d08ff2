namespace Webhooks.AspNetCore.Models;

/// <summary>A page of subscriptions.</summary>
public sealed class WebhookSubscriptionPage
{
    /// <summary>The subscriptions, oldest first.</summary>
    public required IReadOnlyList<WebhookSubscriptionResponse> Items { get; init; }

    /// <summary>Pass as <c>cursor</c> to get the next page; <see langword="null"/> on the last page.</summary>
    public string? NextCursor { get; init; }
}
