namespace Webhooks.Abstractions.Delivery;

/// <summary>One message to one subscription.</summary>
public sealed record WebhookDelivery
{
    /// <summary>The id (<c>dlv_…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The message it delivers.</summary>
    public required string MessageId { get; init; }

    /// <summary>The subscription it goes to.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The message's event type.</summary>
    public required string EventType { get; init; }

    /// <summary>The message's owner (copied from <see cref="WebhookMessage.Owner"/>).</summary>
    public string? Owner { get; init; }

    /// <summary>
    /// The publish's ordering key when its subscription is <see cref="Subscriptions.WebhookSubscription.Ordered"/>
    /// (set by the engine at enqueue), else <see langword="null"/>. A store that implements
    /// <see cref="IWebhookDeliveryOrdering"/> keeps it and leases by it; see the rule there.
    /// </summary>
    public string? OrderingKey { get; init; }

    /// <summary>Where it stands.</summary>
    public WebhookDeliveryStatus Status { get; init; }

    /// <summary>Attempts made so far.</summary>
    public int AttemptCount { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the next attempt is due (pending only), on the store's clock.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>When the last attempt started.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>The last attempt's HTTP status code, if it got one.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>The last attempt's error, or why the delivery was finished without one.</summary>
    public string? LastError { get; init; }
}
