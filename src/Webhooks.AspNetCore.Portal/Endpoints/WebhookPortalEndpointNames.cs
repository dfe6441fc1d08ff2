namespace Webhooks.AspNetCore.Portal.Endpoints;

/// <summary>Endpoint names the portal finds its own routes and the management endpoints by (through <c>LinkGenerator</c>).</summary>
internal static class WebhookPortalEndpointNames
{
    public const string Page = "WebhooksPortal";
    public const string Access = "WebhooksPortalAccess";
    public const string StartSession = "WebhooksPortalStartSession";
    public const string Session = "WebhooksPortalSession";
    public const string EndSession = "WebhooksPortalEndSession";
    public const string Asset = "WebhooksPortalAsset";

    /// <summary><c>GET {prefix}/</c> of <c>MapWebhooks()</c>: its route tells where the management endpoints are.</summary>
    public const string ManagementList = "ListWebhookSubscriptions";
}

/// <summary>Marks the portal's own endpoints.</summary>
internal sealed class WebhookPortalEndpointMetadata
{
    public static readonly WebhookPortalEndpointMetadata Instance = new();
}

/// <summary>Marks a portal endpoint that a read-only session may POST to (ending the session changes nothing).</summary>
internal sealed class WebhookPortalReadOnlyAllowedMetadata
{
    public static readonly WebhookPortalReadOnlyAllowedMetadata Instance = new();
}

/// <summary>Marks the portal endpoints that answer with an HTML page (a refusal there gets a page too, not a bare status).</summary>
internal sealed class WebhookPortalPageMetadata
{
    public static readonly WebhookPortalPageMetadata Instance = new();
}

/// <summary>Marks a portal endpoint whose request carries its own credential (an access link's token), so the app's cookie sign-in does not make it need an anti-forgery token.</summary>
internal sealed class WebhookPortalNoAntiforgeryMetadata
{
    public static readonly WebhookPortalNoAntiforgeryMetadata Instance = new();
}
