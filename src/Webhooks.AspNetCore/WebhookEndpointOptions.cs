using System.Security.Claims;

namespace Webhooks.AspNetCore;

/// <summary>
/// Settings of the <c>MapWebhooks()</c> management endpoints. Set them with
/// <c>services.AddWebhooks().AddEndpoints(o => ...)</c> or bind them from configuration; they are
/// validated when the host starts.
/// </summary>
public sealed class WebhookEndpointOptions
{
    /// <summary>Largest request body accepted, in bytes; a larger one is answered 413.</summary>
    /// <value>The default value is 65,536 (64 KiB); 1 KiB to 16 MiB is accepted.</value>
    public int MaxRequestBodySize { get; set; } = 64 * 1024;

    /// <summary>Page size of list endpoints when the caller gives no <c>limit</c> (callers may ask for 1 to <see cref="WebhookPaging.MaxLimit"/>).</summary>
    /// <value>The default value is 50.</value>
    public int DefaultPageSize { get; set; } = WebhookPaging.DefaultLimit;

    /// <summary>
    /// The claim the default <see cref="Owners.IWebhookOwnerResolver"/> reads the owner id from; when the
    /// user has none, it falls back to the JWT <c>sub</c> claim.
    /// </summary>
    /// <value>The default value is <see cref="ClaimTypes.NameIdentifier"/>.</value>
    public string OwnerClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>
    /// Origins (<c>https://app.example.com</c>: scheme, host and port if not the default, no path)
    /// whose pages may send the endpoints a cross-origin POST without an <c>Authorization</c> header,
    /// that is one a browser sends with the app's cookies alone. Any other such POST from another
    /// origin, including a sibling subdomain, is refused with 403 (a form on another site could send
    /// it in a signed-in person's name). JSON requests, PUT, PATCH, DELETE and requests with an
    /// <c>Authorization</c> header are never refused for their origin: browsers send them across
    /// origins only after a CORS preflight, which the app's CORS policy decides. Clients that are
    /// not browsers are not affected.
    /// </summary>
    /// <value>The default value is empty: only the app's own origin.</value>
    public IList<string> TrustedOrigins { get; } = [];
}
