namespace Webhooks.Core.Subscriptions;

/// <summary>What a caller asks for when creating a subscription; validated by <see cref="WebhookSubscriptionManager.CreateAsync"/>.</summary>
public sealed record WebhookSubscriptionDefinition
{
    /// <summary>A name unique among the owner's subscriptions (1 to 200 characters).</summary>
    public required string Name { get; init; }

    /// <summary>The absolute https URL (http when <see cref="WebhookOptions.AllowHttp"/>), at most 2048 characters.</summary>
    public required string Url { get; init; }

    /// <summary>Event type names or patterns (<c>*</c>, <c>order.*</c>): at least one, no duplicates, each known.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Free text, at most 1024 characters.</summary>
    public string? Description { get; init; }

    /// <summary>How deliveries authenticate to the receiver; none by default.</summary>
    public WebhookAuth? Auth { get; init; }

    /// <summary>Extra request headers (at most 20); they cannot override signature, auth or transport headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The app's own key-value data (at most 50 entries).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Attribute filter: key to allowed values (see <see cref="WebhookSubscription.Filter"/>); at most 10 keys of at most 50 values.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>
    /// Payload filter, as JSON text: conditions over the event's <c>type</c> and <c>data</c> that
    /// must hold for it to be delivered, such as <c>{"data.priority": "high"}</c> or
    /// <c>{"data.total": {"$gte": 100}, "data.status": {"$in": ["shipped", "delivered"]}}</c>
    /// (operators <c>$eq</c>, <c>$ne</c>, <c>$in</c>, <c>$nin</c>, <c>$gt</c>, <c>$gte</c>, <c>$lt</c>,
    /// <c>$lte</c>, <c>$exists</c>, <c>$and</c>, <c>$or</c>, <c>$not</c>; at most 8 levels deep and
    /// 4 KiB). Stored in compact form (<see cref="WebhookSubscription.PayloadFilter"/>);
    /// <see langword="null"/>, blank or <c>{}</c> for none.
    /// </summary>
    public string? PayloadFilter { get; init; }

    /// <summary>
    /// The most deliveries per second sent to the subscription (1 to 10,000), with a burst of the same
    /// size; <see langword="null"/> for no limit. Deliveries over it wait in the queue; on a store
    /// shared by several instances the limit holds for all of them together.
    /// </summary>
    public int? RateLimit { get; init; }

    /// <summary>
    /// Whether events published with the same <see cref="Publishing.WebhookPublishOptions.OrderingKey"/>
    /// are delivered one after another in publish order (the next waits until the one before succeeded
    /// or was given up); <see langword="false"/> by default. Needs a delivery store that keeps order
    /// (in-memory, SQLite, PostgreSQL).
    /// </summary>
    public bool Ordered { get; init; }

    /// <summary>Whether deliveries start at once; <see langword="true"/> by default.</summary>
    public bool Active { get; init; } = true;

    /// <summary>A secret to use instead of a generated one (<c>whsec_</c> + base64 of 24 to 64 bytes).</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme; <see langword="null"/> for <see cref="WebhookOptions.DefaultSignatureScheme"/>.</summary>
    public string? SignatureScheme { get; init; }
}
