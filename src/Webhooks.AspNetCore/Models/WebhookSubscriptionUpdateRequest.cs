using System.Text.Json;

namespace Webhooks.AspNetCore.Models;

/// <summary>
/// The body of <c>PUT</c> and <c>PATCH /webhooks/{id}</c>: a partial update. Omitted (or
/// <see langword="null"/>) fields stay as they are.
/// </summary>
public sealed class WebhookSubscriptionUpdateRequest
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new URL.</summary>
    public string? Url { get; init; }

    /// <summary>A new event list; replaces the old one.</summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary>A new description; an empty string clears it.</summary>
    public string? Description { get; init; }

    /// <summary>New auth; <c>{"type":"none"}</c> removes it.</summary>
    public WebhookAuthModel? Auth { get; init; }

    /// <summary>New headers; replace the old ones (<c>{}</c> removes them).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>New metadata; replaces the old.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>A new attribute filter; replaces the old (<c>{}</c> removes it).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Filter { get; init; }

    /// <summary>A new payload filter (see <see cref="WebhookSubscriptionCreateRequest.PayloadFilter"/>); replaces the old (<c>{}</c> removes it).</summary>
    public JsonElement? PayloadFilter { get; init; }

    /// <summary>A new rate limit in deliveries per second, 1 to 10,000; <c>0</c> removes the limit.</summary>
    public int? RateLimit { get; init; }

    /// <summary>Turn ordered delivery per ordering key on or off.</summary>
    public bool? Ordered { get; init; }

    /// <summary>Enable or disable; enabling clears an automatic disable.</summary>
    public bool? Active { get; init; }

    /// <summary>A new signature scheme.</summary>
    public string? SignatureScheme { get; init; }
}
