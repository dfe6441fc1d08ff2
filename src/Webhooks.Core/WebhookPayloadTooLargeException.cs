namespace Webhooks.Core;

/// <summary>A message's serialized payload is larger than <see cref="WebhookOptions.MaxPayloadBytes"/>.</summary>
public sealed class WebhookPayloadTooLargeException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventType">The event type published.</param>
    /// <param name="size">The payload size in bytes.</param>
    /// <param name="limit">The configured limit in bytes.</param>
    public WebhookPayloadTooLargeException(string eventType, long size, long limit)
        : base($"The '{eventType}' payload is {size} bytes, over the {limit}-byte limit (WebhookOptions.MaxPayloadBytes). Send a thinner payload (for example an id the receiver fetches) or raise the limit.")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>The payload size in bytes.</summary>
    public long Size { get; }

    /// <summary>The configured limit in bytes.</summary>
    public long Limit { get; }
}
