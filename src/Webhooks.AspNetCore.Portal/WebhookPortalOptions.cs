using Microsoft.AspNetCore.Http;

namespace Webhooks.AspNetCore.Portal;

/// <summary>
/// Settings of the webhooks portal (<c>MapWebhooksPortal()</c>) and its access links. Set them with
/// <c>services.AddWebhooks().AddPortal(o => ...)</c>; they are validated when the host starts.
/// </summary>
public sealed class WebhookPortalOptions
{
    /// <summary>The longest lifetime an access link may be given, whatever the app asks for.</summary>
    public static readonly TimeSpan MaxLinkLifetimeLimit = TimeSpan.FromDays(7);

    /// <summary>The heading of the portal's pages and the browser tab's title.</summary>
    /// <value>The default value is <c>Webhooks</c>.</value>
    public string Title { get; set; } = "Webhooks";

    /// <summary>How long an access link works when <see cref="IWebhookPortalLinks.CreateAsync"/> is given no lifetime.</summary>
    /// <value>The default value is 1 hour; 1 minute to <see cref="MaxLinkLifetime"/> is accepted.</value>
    public TimeSpan DefaultLinkLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest lifetime <see cref="IWebhookPortalLinks.CreateAsync"/> accepts; a longer one is refused.</summary>
    /// <value>The default value is 7 days, which is also the most it may be set to.</value>
    public TimeSpan MaxLinkLifetime { get; set; } = MaxLinkLifetimeLimit;

    /// <summary>
    /// The app's public address, such as <c>https://app.example.com</c> (with its path base, if it has
    /// one), that access links start with. When unset, links are built from the current request, so
    /// <see cref="IWebhookPortalLinks.CreateAsync"/> outside a request (a background job sending
    /// e-mails) needs it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the current request's scheme, host and path base.</value>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The name of the cookie that holds an access link's session.</summary>
    /// <value>The default value is <c>.Webhooks.Portal</c>.</value>
    public string CookieName { get; set; } = ".Webhooks.Portal";

    /// <summary>
    /// Whether the session cookie is marked <c>Secure</c> (sent over https only). Browsers accept
    /// <c>Secure</c> cookies from <c>http://localhost</c> and <c>http://127.0.0.1</c> too, so development needs no change.
    /// </summary>
    /// <value>The default value is <see cref="CookieSecurePolicy.Always"/>.</value>
    public CookieSecurePolicy CookieSecurePolicy { get; set; } = CookieSecurePolicy.Always;
}
