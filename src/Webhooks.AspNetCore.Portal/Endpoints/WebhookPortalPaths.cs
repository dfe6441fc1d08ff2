using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Webhooks.AspNetCore.Portal.Endpoints;

/// <summary>Which kind of endpoint a request reached, as far as access-link sessions are concerned.</summary>
internal enum WebhookPortalEndpointKind
{
    /// <summary>Any other endpoint of the app: an access-link session is never accepted there.</summary>
    None,

    /// <summary>The portal's own pages and JSON.</summary>
    Portal,

    /// <summary>An endpoint of <c>MapWebhooks()</c>.</summary>
    Management,
}

/// <summary>
/// Where the portal and the management endpoints are, found from the endpoints themselves (so route
/// groups and path bases need no configuration), and which endpoints a portal session may reach.
/// </summary>
internal sealed class WebhookPortalPaths(LinkGenerator links, EndpointDataSource endpoints)
{
    private string? _managementPattern;

    /// <summary>The management endpoints' base path with the request's path base, ending in <c>/</c>; <see langword="null"/> when <c>MapWebhooks()</c> is not mapped.</summary>
    public string? ManagementBase(HttpContext context) =>
        Slash(links.GetPathByName(context, WebhookPortalEndpointNames.ManagementList, values: null));

    /// <summary>The portal's base path with the request's path base, ending in <c>/</c>.</summary>
    public string PortalBase(HttpContext context) =>
        Slash(links.GetPathByName(context, WebhookPortalEndpointNames.Page, values: null)) ?? "/";

    /// <summary>
    /// The session cookie's path: the longest path both the portal and the management endpoints lie
    /// under (<c>/webhooks</c> for <c>/webhooks/portal</c> and <c>/webhooks</c>), so the browser sends it
    /// nowhere else.
    /// </summary>
    public string CookiePath(HttpContext context)
    {
        var portal = PortalBase(context);
        var api = ManagementBase(context) ?? portal;
        var a = portal.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var b = api.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var common = a.Zip(b).TakeWhile(p => string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase)).Select(p => p.First);
        return "/" + string.Join('/', common);
    }

    public WebhookPortalEndpointKind Classify(Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return WebhookPortalEndpointKind.None;
        }

        if (endpoint.Metadata.GetMetadata<WebhookPortalEndpointMetadata>() is not null)
        {
            return WebhookPortalEndpointKind.Portal;
        }

        // A management endpoint: under MapWebhooks()'s route prefix and tagged as its endpoints are.
        // The tag alone could be an app's own endpoint; the prefix alone, an app endpoint mapped beside them.
        if (endpoint is RouteEndpoint route
            && ManagementPattern() is { } pattern
            && route.RoutePattern.RawText is { } raw
            && (raw.StartsWith(pattern, StringComparison.OrdinalIgnoreCase) || string.Equals(raw + "/", pattern, StringComparison.OrdinalIgnoreCase))
            && endpoint.Metadata.GetOrderedMetadata<ITagsMetadata>().Any(t => t.Tags.Contains(WebhookEndpointRouteBuilderExtensions.Tag)))
        {
            return WebhookPortalEndpointKind.Management;
        }

        return WebhookPortalEndpointKind.None;
    }

    /// <summary>The raw route pattern of <c>MapWebhooks()</c>'s group, ending in <c>/</c>, such as <c>/webhooks/</c>.</summary>
    private string? ManagementPattern()
    {
        if (_managementPattern is { } known)
        {
            return known;
        }

        var list = endpoints.Endpoints.OfType<RouteEndpoint>().FirstOrDefault(e =>
            string.Equals(e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName, WebhookPortalEndpointNames.ManagementList, StringComparison.Ordinal));
        var raw = list?.RoutePattern.RawText;
        return raw is null ? null : _managementPattern = raw.TrimEnd('/') + "/";
    }

    private static string? Slash(string? path) => path is null ? null : path.TrimEnd('/') + "/";
}
