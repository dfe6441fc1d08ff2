using System.Text.Json;

namespace Webhooks.AspNetCore.Models;

/// <summary>The body of <c>POST /webhooks</c>: a new subscription.</summary>
public sealed class WebhookSubscriptionCreateRequest
{
    /// <summary>A name unique among the owner's subscriptions (1 to 200 characters). Required.</summary>
    public string? Name { get; init; }

    /// <summary>The absolute https URL that receives the POSTs (at most 2048 characters). Required.</summary>
    public string? Url { get; init; }

    /// <summary>Event type names or patterns (<c>order.created</c>, <c>order.*</c>, <c>*</c>): at least one, no duplicates, each in the catalog. Required.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>Free text, at most 1024 characters.</summary>
    public string? Description { get; init; }

    /// <summary>How deliveries authenticate to the receiver; none when omitted.</summary>
    public WebhookAuthModel? Auth { get; init; }

    /// <summary>Extra request headers sent with every delivery (at most 20).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Your own key-value data, not sent to the receiver (at most 50 entries).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Narrows the events delivered by the attributes they are published with: for every key, the
    /// event's value must be one of those listed, such as <c>{"severity": ["error", "critical"]}</c>
    /// (at most 10 keys of 1 to 50 values).
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>
    /// Narrows the events delivered by their content: a JSON object of conditions over the event's
    /// <c>type</c> and <c>data</c> (dotted paths), all of which must hold, such as
    /// <c>{"data.priority": "high"}</c> or <c>{"data.total": {"$gte": 100}, "data.status": {"$in": ["shipped", "delivered"]}}</c>.
    /// Operators: <c>$eq</c>, <c>$ne</c>, <c>$in</c>, <c>$nin</c>, <c>$gt</c>, <c>$gte</c>, <c>$lt</c>,
    /// <c>$lte</c>, <c>$exists</c>, <c>$not</c>, and <c>$and</c>, <c>$or</c>, <c>$not</c> around
    /// conditions; at most 8 levels deep and 4 KiB. An event that does not match is not delivered.
    /// </summary>
    public JsonElement? PayloadFilter { get; init; }

    /// <summary>The most deliveries per second sent to the subscription, 1 to 10,000 (a burst of the same size is allowed); no limit when omitted. Deliveries over it wait in the queue, none is dropped.</summary>
    public int? RateLimit { get; init; }

    /// <summary>Deliver events that share an ordering key (such as an order id) one after another in publish order: the next waits until the one before succeeded or was given up. <see langword="false"/> when omitted.</summary>
    public bool? Ordered { get; init; }

    /// <summary>Whether deliveries start at once; <see langword="true"/> when omitted.</summary>
    public bool? Active { get; init; }

    /// <summary>A signing secret to use (<c>whsec_</c> + base64 of 24 to 64 bytes); one is generated when omitted.</summary>
    public string? Secret { get; init; }

    /// <summary>The signature scheme (<c>standard-webhooks</c> or <c>hmac-sha256</c>); the app's default when omitted.</summary>
    public string? SignatureScheme { get; init; }
}
