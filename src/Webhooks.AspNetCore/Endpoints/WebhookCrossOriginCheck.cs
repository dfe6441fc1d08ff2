using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>
/// Refuses the one kind of browser request that CORS cannot stop: a "simple" cross-origin POST
/// (no body, or form or plain-text content, no <c>Authorization</c> header), which a page on another
/// site, or on a sibling subdomain, can make a signed-in person's browser send with the app's
/// cookie. Every other unsafe request is JSON, PUT, PATCH, DELETE or carries an
/// <c>Authorization</c> header, so a browser sends it cross-origin only after a CORS preflight the
/// app's own CORS policy answers. Cross-origin is read from <c>Sec-Fetch-Site</c> (every current
/// browser) and, where that is missing, from <c>Origin</c> against <c>Host</c>. Clients that are
/// not browsers send neither and are never refused. Origins listed in
/// <see cref="WebhookEndpointOptions.TrustedOrigins"/> are let through.
/// </summary>
internal static class WebhookCrossOriginCheck
{
    /// <summary>Returns why the request is refused, or null when it may go on.</summary>
    public static string? Refusal(HttpRequest request, IEnumerable<string> trustedOrigins)
    {
        if (!HttpMethods.IsPost(request.Method) || request.Headers.ContainsKey("Authorization") || !IsSimpleContentType(request.ContentType))
        {
            return null;
        }

        var origin = request.Headers.Origin;
        var site = request.Headers["Sec-Fetch-Site"];
        bool crossOrigin;
        if (!StringValues.IsNullOrEmpty(site))
        {
            crossOrigin = site.ToString() is not ("same-origin" or "none");
        }
        else if (StringValues.IsNullOrEmpty(origin))
        {
            return null; // not a browser, or one that sends neither header on a same-origin request
        }
        else
        {
            crossOrigin = !SameHost(origin.ToString(), request.Host);
        }

        if (!crossOrigin || (origin.Count == 1 && trustedOrigins.Contains(origin.ToString().TrimEnd('/'), StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        var from = StringValues.IsNullOrEmpty(origin) ? "another site" : $"'{Printable(origin.ToString())}'";
        return $"This browser request came from {from} (Sec-Fetch-Site: {Printable(site.ToString() is { Length: > 0 } s ? s : "absent")}) and carries no Authorization header: " +
            "a change sent with cookies alone is accepted only from the app's own origin. If this origin is the app's own front end, " +
            "add it to WebhookEndpointOptions.TrustedOrigins; otherwise send JSON with an Authorization header.";
    }

    // The content types a browser sends cross-origin without a preflight (none at all is one of them).
    private static bool IsSimpleContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        var media = contentType.AsSpan();
        int semicolon = media.IndexOf(';');
        media = (semicolon >= 0 ? media[..semicolon] : media).Trim();
        return media.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || media.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
    }

    private static bool SameHost(string origin, HostString host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && host.HasValue
        && string.Equals(uri.IsDefaultPort ? uri.Host : uri.Host + ":" + uri.Port, host.Port is null ? host.Host : host.Host + ":" + host.Port, StringComparison.OrdinalIgnoreCase);

    private static string Printable(string value)
    {
        var cut = value.Length > 100 ? value[..100] : value;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
