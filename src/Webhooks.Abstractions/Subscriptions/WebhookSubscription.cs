namespace Webhooks.Abstractions.Subscriptions;

/// <summary>
/// A receiver's standing request: "POST these events to this URL, signed with this secret".
/// Immutable data: change one with <c>with</c> and <see cref="IWebhookSubscriptionStore.UpdateAsync"/>.
/// A store keeps every field as given and returns it unchanged (except <see cref="Version"/>,
/// which the store sets). <see cref="ToString"/> masks secrets and auth values.
/// </summary>
public sealed record WebhookSubscription
{
    private static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>(0);
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> EmptyFilter = new Dictionary<string, IReadOnlyList<string>>(0);

    /// <summary>The id (<c>sub_…</c>, see <see cref="WebhookIds"/>).</summary>
    public required string Id { get; init; }

    /// <summary>Who owns it (a user or tenant id); <see langword="null"/> for app-level subscriptions. A publish reaches only its owner's subscriptions.</summary>
    public string? Owner { get; init; }

    /// <summary>A name unique among the owner's subscriptions.</summary>
    public required string Name { get; init; }

    /// <summary>The absolute http(s) URL that receives the POSTs.</summary>
    public required string Url { get; init; }

    /// <summary>Event type names and patterns (<c>*</c>, <c>order.*</c>) it receives; at least one, no duplicates.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Free text for people.</summary>
    public string? Description { get; init; }

    /// <summary>The signing secrets, current first; previous ones stay until their <see cref="WebhookSecret.ExpiresAt"/> during a rotation.</summary>
    public required IReadOnlyList<WebhookSecret> Secrets { get; init; }

    /// <summary>The signature scheme name; <see langword="null"/> uses the engine's default.</summary>
    public string? SignatureScheme { get; init; }

    /// <summary>How each request authenticates to the receiver.</summary>
    public WebhookAuth Auth { get; init; } = WebhookAuth.None;

    /// <summary>Extra request headers sent with every delivery.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyMap;

    /// <summary>The app's own key-value data (not sent to the receiver).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMap;

    /// <summary>
    /// Narrows which events are delivered by the attributes they were published with: for every
    /// key, the event's value must be one of the listed values (seed 001: <c>severity: [error, critical]</c>).
    /// Empty: no narrowing. The engine applies it; a store only keeps it.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Filter { get; init; } = EmptyFilter;

    /// <summary>
    /// Narrows which events are delivered by their content: a filter over the envelope's
    /// <c>type</c> and <c>data</c>, such as <c>{"data.priority":"high"}</c>, as compact JSON text;
    /// <see langword="null"/> for none. The engine validates it, writes it in its compact form and
    /// evaluates it; a store keeps the text exactly as given (character for character, so not
    /// re-serialized by a JSON column type) and returns it unchanged.
    /// </summary>
    public string? PayloadFilter { get; init; }

    /// <summary>
    /// The most deliveries per second sent to it (1 to 10,000), with a burst of the same size;
    /// <see langword="null"/> for no limit. Deliveries over the limit wait in the queue (never
    /// dropped, never counted as attempts). The engine enforces it; a store only keeps it.
    /// </summary>
    public int? RateLimit { get; init; }

    /// <summary>
    /// Whether deliveries that share an ordering key (<see cref="Delivery.WebhookDelivery.OrderingKey"/>) are
    /// sent one after another in publish order: the next is not attempted until the one before it
    /// succeeded or was given up. The engine sets the key on this subscription's deliveries only
    /// when this is <see langword="true"/>; a store only keeps the flag.
    /// </summary>
    public bool Ordered { get; init; }

    /// <summary>Inactive subscriptions are skipped (not deleted).</summary>
    public bool Active { get; init; } = true;

    /// <summary>Why the engine disabled it (410 Gone, sustained failure); cleared when it is enabled again.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>
    /// Since when every attempt sent to it has failed; <see langword="null"/> while it is healthy.
    /// The engine sets and clears it (and disables the subscription when it has failed for too
    /// long); a store only keeps it.
    /// </summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Concurrency version: starts at 1 and grows by one with each update; the store sets it.</summary>
    public long Version { get; init; }

    /// <summary>Describes the subscription with secrets and auth values masked.</summary>
    /// <returns>A log-safe description.</returns>
    public override string ToString() =>
        $"WebhookSubscription {{ Id = {Id}, Owner = {Owner}, Name = {Name}, Url = {Url}, Events = [{string.Join(", ", Events)}], Active = {Active}, Auth = {Auth}, Secret = {WebhookSecret.Mask(Secrets.Count > 0 ? Secrets[0].Value : null)}, Version = {Version} }}";
}
