namespace Webhooks.AspNetCore.Models;

/// <summary>A page of deliveries, newest first.</summary>
public sealed class WebhookDeliveryPage
{
    /// <summary>The deliveries, newest first.</summary>
    public required IReadOnlyList<WebhookDeliveryResponse> Items { get; init; }

    /// <summary>Pass as <c>cursor</c> to get the next page; <see langword="null"/> on the last page.</summary>
    public string? NextCursor { get; init; }
}
