using System.Text.Json.Serialization;

namespace Webhooks.AspNetCore.Portal.Endpoints;

/// <summary>The body of <c>POST {portal}/access</c>: the token from the link's fragment.</summary>
internal sealed class WebhookPortalAccessRequest
{
    public string? Token { get; init; }
}

/// <summary>What the page needs to start: who it acts for, what it may do, where the endpoints are.</summary>
internal sealed class WebhookPortalSessionResponse
{
    public required string Title { get; init; }

    /// <summary>The owner whose webhooks are shown.</summary>
    public required string Owner { get; init; }

    /// <summary><c>link</c> for an access-link session, <c>app</c> for the app's own sign-in.</summary>
    public required string Kind { get; init; }

    public required bool ReadOnly { get; init; }

    /// <summary>When an access-link session ends.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The management endpoints' base path, ending in <c>/</c>.</summary>
    public required string ApiBase { get; init; }

    /// <summary>The portal's base path, ending in <c>/</c>.</summary>
    public required string PortalBase { get; init; }

    public required WebhookPortalFeatures Features { get; init; }

    /// <summary>The signature schemes a webhook may use (the registered signers), for the form's choice.</summary>
    public required IReadOnlyList<string> SignatureSchemes { get; init; }

    /// <summary>The scheme a webhook without one of its own is signed with.</summary>
    public required string DefaultSignatureScheme { get; init; }

    /// <summary>The header and token every change must carry.</summary>
    public required WebhookPortalAntiforgery Antiforgery { get; init; }
}

/// <summary>Which management routes are mapped: they follow the delivery store's capabilities.</summary>
internal sealed class WebhookPortalFeatures
{
    public required bool Log { get; init; }

    public required bool Redelivery { get; init; }

    public required bool Statistics { get; init; }
}

internal sealed class WebhookPortalAntiforgery
{
    public required string HeaderName { get; init; }

    public required string Token { get; init; }
}

/// <summary>The answer to a started session: where to go.</summary>
internal sealed class WebhookPortalAccessResponse
{
    public required string Location { get; init; }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookPortalAccessRequest))]
[JsonSerializable(typeof(WebhookPortalSessionResponse))]
[JsonSerializable(typeof(WebhookPortalAccessResponse))]
internal sealed partial class WebhookPortalJsonContext : JsonSerializerContext;
