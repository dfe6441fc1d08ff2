using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.AspNetCore.Models;

/// <summary>A subscription as the endpoints return it. <see cref="Secret"/> is in full only in the answers to create and rotate-secret.</summary>
public sealed record WebhookSubscriptionResponse
{
    /// <summary>The id (<c>sub_…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The name, unique among the owner's subscriptions.</summary>
    public required string Name { get; init; }

    /// <summary>The URL that receives the POSTs.</summary>
    public required string Url { get; init; }

    /// <summary>The event types and patterns it receives.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Free text.</summary>
    public string? Description { get; init; }

    /// <summary>Whether deliveries are sent.</summary>
    public required bool Active { get; init; }

    /// <summary>Why the library disabled it (410 Gone, sustained failure); cleared on enable.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>How deliveries authenticate, values masked.</summary>
    public required WebhookAuthModel Auth { get; init; }

    /// <summary>Extra request headers.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The app's key-value data.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>The attribute filter: for every key, the values an event's attribute must have to be delivered; empty for none.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Filter { get; init; }

    /// <summary>The signature scheme; <see langword="null"/> for the app's default.</summary>
    public string? SignatureScheme { get; init; }

    /// <summary>The signing secret: in full right after create or rotate-secret (store it then), otherwise masked as <c>whsec_…</c> plus its last four characters.</summary>
    public required string Secret { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The concurrency version, also sent as the <c>ETag</c>; send it back in <c>If-Match</c> to update safely.</summary>
    public required long Version { get; init; }
}

/// <summary>A page of subscriptions.</summary>
public sealed record WebhookSubscriptionPage
{
    /// <summary>The subscriptions, oldest first.</summary>
    public required IReadOnlyList<WebhookSubscriptionResponse> Items { get; init; }

    /// <summary>Pass as <c>cursor</c> to get the next page; <see langword="null"/> on the last page.</summary>
    public string? NextCursor { get; init; }
}

/// <summary>The event catalog, grouped by resource.</summary>
public sealed record WebhookEventCatalogResponse
{
    /// <summary>The groups, in registration order; event types without a group come last, in a group named <see langword="null"/>.</summary>
    public required IReadOnlyList<WebhookEventGroupResponse> Groups { get; init; }
}

/// <summary>The event types of one resource or group.</summary>
public sealed record WebhookEventGroupResponse
{
    /// <summary>The resource or group, such as <c>order</c>.</summary>
    public string? Name { get; init; }

    /// <summary>The pattern that subscribes to every event type of the group, such as <c>order.*</c>, if there is one.</summary>
    public string? Pattern { get; init; }

    /// <summary>The group's event types.</summary>
    public required IReadOnlyList<WebhookEventTypeResponse> EventTypes { get; init; }
}

/// <summary>One event type of the catalog.</summary>
public sealed record WebhookEventTypeResponse
{
    /// <summary>The name receivers see as the payload's <c>type</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What happened.</summary>
    public string? Description { get; init; }

    /// <summary>The payload version, if the app versions payloads.</summary>
    public string? Version { get; init; }

    /// <summary>Still delivered, but new integrations should not rely on it.</summary>
    public bool Deprecated { get; init; }

    /// <summary>A JSON schema of the payload's <c>data</c>, if known.</summary>
    public JsonElement? Schema { get; init; }
}

/// <summary>What a test send did.</summary>
public sealed record WebhookTestResponse
{
    /// <summary>Whether the receiver answered 2xx.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The HTTP status code, if the receiver answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>How long the request took, in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary>The start of the receiver's answer (at most 4 KiB).</summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>What went wrong: <c>none</c>, <c>httpStatus</c>, <c>timeout</c>, <c>connectionFailed</c>, <c>blocked</c>.</summary>
    public required string ErrorKind { get; init; }

    /// <summary>A sentence describing the error, if any.</summary>
    public string? Error { get; init; }
}

/// <summary>One delivery of the log: one event to one subscription.</summary>
public sealed record WebhookDeliveryResponse
{
    /// <summary>The id (<c>dlv_…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The message id (<c>msg_…</c>), sent as <c>webhook-id</c>.</summary>
    public required string MessageId { get; init; }

    /// <summary>The event type.</summary>
    public required string EventType { get; init; }

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

/// <summary>A page of deliveries, newest first.</summary>
public sealed record WebhookDeliveryPage
{
    /// <summary>The deliveries, newest first.</summary>
    public required IReadOnlyList<WebhookDeliveryResponse> Items { get; init; }

    /// <summary>Pass as <c>cursor</c> to get the next page; <see langword="null"/> on the last page.</summary>
    public string? NextCursor { get; init; }
}

/// <summary>One attempt of a delivery.</summary>
public sealed record WebhookAttemptResponse
{
    /// <summary>1 for the first attempt.</summary>
    public required int Number { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took, in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary>The HTTP status code, if the receiver answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The start of the receiver's answer (at most 4 KiB).</summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>Whether the receiver answered 2xx.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>What went wrong: <c>none</c>, <c>httpStatus</c>, <c>timeout</c>, <c>connectionFailed</c>, <c>blocked</c>, <c>subscriptionUnavailable</c>.</summary>
    public required string ErrorKind { get; init; }

    /// <summary>A sentence describing the error, if any.</summary>
    public string? Error { get; init; }
}

/// <summary>What <c>recover</c> did.</summary>
public sealed record WebhookRecoverResponse
{
    /// <summary>How many failed deliveries were requeued.</summary>
    public required int Requeued { get; init; }
}

/// <summary>Succeeded and failed attempts per time bucket.</summary>
public sealed record WebhookStatsResponse
{
    /// <summary>The window's start.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>The window's end (now).</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>The bucket width, in seconds.</summary>
    public required long BucketSeconds { get; init; }

    /// <summary>Attempts answered 2xx in the window.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Attempts that failed in the window.</summary>
    public required int Failed { get; init; }

    /// <summary>The buckets, oldest first; every bucket of the window is present.</summary>
    public required IReadOnlyList<WebhookStatsBucketResponse> Buckets { get; init; }
}

/// <summary>Counts of one time bucket.</summary>
public sealed record WebhookStatsBucketResponse
{
    /// <summary>The bucket's start.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>Attempts answered 2xx.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Attempts that failed.</summary>
    public required int Failed { get; init; }
}
