using System.Text.Json.Serialization;

namespace Webhooks.AspNetCore.Models;

/// <summary>One delivery of the log: one event to one subscription.</summary>
public sealed class WebhookDeliveryResponse
{
    /// <summary>The id (<c>dlv_…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The message id (<c>msg_…</c>), sent as <c>webhook-id</c>.</summary>
    public required string MessageId { get; init; }

    /// <summary>The subscription it goes to (<c>sub_…</c>).</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The event type.</summary>
    public required string EventType { get; init; }

    /// <summary>The publish's ordering key, when the subscription is ordered: deliveries with the same key go one after another.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OrderingKey { get; init; }

    /// <summary><c>pending</c>, <c>succeeded</c> or <c>failed</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Attempts made so far.</summary>
    public required int AttemptCount { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the next attempt is due (pending only).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>When the last attempt started.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>The last attempt's HTTP status code, if it got one.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>The last attempt's error, if it failed.</summary>
    public string? LastError { get; init; }

    /// <summary>Every attempt, first to last: present when one delivery is read, absent in lists.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<WebhookAttemptResponse>? Attempts { get; init; }
}
