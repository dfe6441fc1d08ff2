using System.Text.Json;

namespace Webhooks.AspNetCore.Models;

/// <summary>A subscription as the endpoints return it. <see cref="Secret"/> is in full only in the answers to create and rotate-secret.</summary>
public sealed class WebhookSubscriptionResponse
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

    /// <summary>Since when every attempt sent to it has failed; <see langword="null"/> while healthy. Sustained failure disables it (<c>Webhooks:DisableAfterFailingFor</c>).</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>The endpoint its URL points at and that endpoint's circuit, as the answering instance sees it.</summary>
    public required WebhookEndpointStateResponse Endpoint { get; init; }

    /// <summary>How deliveries authenticate, values masked.</summary>
    public required WebhookAuthModel Auth { get; init; }

    /// <summary>Extra request headers.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The app's key-value data.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>The attribute filter: for every key, the values an event's attribute must have to be delivered; empty for none.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Filter { get; init; }

    /// <summary>The payload filter in compact form: conditions over the event's <c>type</c> and <c>data</c> that must hold for it to be delivered; <see langword="null"/> for none.</summary>
    public JsonElement? PayloadFilter { get; init; }

    /// <summary>The most deliveries per second sent to it (a burst of the same size is allowed); <see langword="null"/> for no limit.</summary>
    public int? RateLimit { get; init; }

    /// <summary>Whether events that share an ordering key are delivered one after another in publish order.</summary>
    public required bool Ordered { get; init; }

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
