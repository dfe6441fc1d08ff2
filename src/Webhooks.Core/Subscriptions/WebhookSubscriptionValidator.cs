using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Webhooks.Core.Catalog;
using Webhooks.Core.Filtering;
using Webhooks.Core.Security;
using Webhooks.Core.Signing;

namespace Webhooks.Core.Subscriptions;

/// <summary>The one validation path for subscriptions and test targets, used by code and HTTP alike.</summary>
internal sealed class WebhookSubscriptionValidator(
    IWebhookEventCatalog catalog,
    IOptions<WebhookOptions> options,
    IEnumerable<IWebhookSigner> signers,
    WebhookNetworkGuard networkGuard,
    IWebhookDeliveryStore deliveries)
{
    public const int MaxRateLimit = 10_000;

    public const int MaxUrlLength = 2048;
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 1024;
    public const int MaxHeaders = 20;
    public const int MaxHeaderValueLength = 1024;
    public const int MaxMetadataEntries = 50;
    public const int MaxEvents = 100;

    private static readonly FrozenSet<string> ForbiddenHeaders = new[]
    {
        "host", "content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive",
        "upgrade", "te", "trailer", "proxy-authorization", "proxy-authenticate", "proxy-connection", "expect",
        "authorization", "cookie", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly IReadOnlyCollection<string> _schemes = signers.Select(s => s.Scheme).ToHashSet(StringComparer.Ordinal);

    public void ValidateDefinition(WebhookSubscriptionDefinition d)
    {
        var errors = new Errors();
        ValidateName(errors, d.Name);
        ValidateUrl(errors, "url", d.Url);
        ValidateEvents(errors, d.Events);
        ValidateDescription(errors, d.Description);
        var auth = d.Auth ?? WebhookAuth.None;
        ValidateAuth(errors, auth);
        ValidateHeaders(errors, d.Headers, auth);
        ValidateMetadata(errors, d.Metadata);
        ValidateFilter(errors, d.Filter);
        ValidatePayloadFilter(errors, d.PayloadFilter);
        ValidateScheme(errors, d.SignatureScheme);
        ValidateRateLimit(errors, d.RateLimit, allowZero: false);
        ValidateOrdered(errors, d.Ordered);
        if (d.Secret is not null && WebhookSecret.Validate(d.Secret) is { } secretError)
        {
            errors.Add("secret", secretError);
        }

        errors.ThrowIfAny();
    }

    public void ValidatePatch(WebhookSubscriptionPatch p, WebhookSubscription current)
    {
        var errors = new Errors();
        if (p.Name is not null)
        {
            ValidateName(errors, p.Name);
        }

        if (p.Url is not null)
        {
            ValidateUrl(errors, "url", p.Url);
        }

        if (p.Events is not null)
        {
            ValidateEvents(errors, p.Events);
        }

        ValidateDescription(errors, p.Description);
        var auth = p.Auth ?? current.Auth;
        if (p.Auth is not null)
        {
            ValidateAuth(errors, p.Auth);
        }

        if (p.Headers is not null || p.Auth is not null)
        {
            ValidateHeaders(errors, p.Headers ?? current.Headers, auth);
        }

        ValidateMetadata(errors, p.Metadata);
        ValidateFilter(errors, p.Filter);
        ValidatePayloadFilter(errors, p.PayloadFilter);
        ValidateScheme(errors, p.SignatureScheme);
        ValidateRateLimit(errors, p.RateLimit, allowZero: true);
        ValidateOrdered(errors, p.Ordered == true && !current.Ordered);
        errors.ThrowIfAny();
    }

    private static void ValidateRateLimit(Errors errors, int? rateLimit, bool allowZero)
    {
        if (rateLimit is { } limit && (limit > MaxRateLimit || limit < (allowZero ? 0 : 1)))
        {
            errors.Add("rateLimit", allowZero
                ? $"The rate limit is deliveries per second, 1 to {MaxRateLimit:N0} (0 removes the limit); {limit} is out of range."
                : $"The rate limit is deliveries per second, 1 to {MaxRateLimit:N0} (omit it for no limit); {limit} is out of range.");
        }
    }

    private void ValidateOrdered(Errors errors, bool ordered)
    {
        if (ordered && deliveries is not IWebhookDeliveryOrdering)
        {
            errors.Add("ordered", $"The delivery store ({deliveries.GetType().Name}) does not keep deliveries in order (it does not implement IWebhookDeliveryOrdering), so ordered subscriptions are not available; use the in-memory, SQLite or PostgreSQL store, or leave ordered off.");
        }
    }

    public void ValidateTarget(string url, WebhookAuth? auth, IReadOnlyDictionary<string, string>? headers, string? secret, string? scheme)
    {
        var errors = new Errors();
        ValidateUrl(errors, "url", url);
        ValidateAuth(errors, auth ?? WebhookAuth.None);
        ValidateHeaders(errors, headers, auth ?? WebhookAuth.None);
        ValidateScheme(errors, scheme);
        if (secret is not null && WebhookSecret.Validate(secret) is { } secretError)
        {
            errors.Add("secret", secretError);
        }

        errors.ThrowIfAny();
    }

    private static void ValidateName(Errors errors, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add("name", "A name is required.");
        }
        else if (name.Length > MaxNameLength)
        {
            errors.Add("name", $"The name is {name.Length} characters; the limit is {MaxNameLength}.");
        }
        else if (name.Any(char.IsControl))
        {
            errors.Add("name", "The name must not contain control characters.");
        }
    }

    private void ValidateUrl(Errors errors, string field, string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            errors.Add(field, "A URL is required.");
            return;
        }

        if (url.Length > MaxUrlLength)
        {
            errors.Add(field, $"The URL is {url.Length} characters; the limit is {MaxUrlLength}.");
            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add(field, "The URL must be absolute and start with https:// (or http:// where allowed).");
            return;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !options.Value.AllowHttp)
        {
            errors.Add(field, "The URL must use https://; plain http is not allowed (WebhookOptions.AllowHttp).");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            errors.Add(field, "The URL must not contain a user name or password; use the auth settings instead.");
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            errors.Add(field, "The URL must not contain a #fragment; receivers never see it.");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            errors.Add(field, "The URL must name a host.");
        }
        else if (networkGuard.CheckUrl(uri) is { } blocked)
        {
            errors.Add(field, blocked);
        }
    }

    /// <summary>
    /// The SSRF check that needs DNS, run after the synchronous validation: a host name that resolves
    /// to a blocked address is refused. Deliveries check every connection again (DNS rebinding).
    /// </summary>
    public async Task ValidateUrlTargetAsync(string url, CancellationToken cancellationToken)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && await networkGuard.CheckUrlAsync(uri, cancellationToken).ConfigureAwait(false) is { } blocked)
        {
            throw new WebhookValidationException("url", blocked);
        }
    }

    private void ValidateEvents(Errors errors, IReadOnlyList<string>? events)
    {
        if (events is null || events.Count == 0)
        {
            errors.Add("events", "List at least one event type.");
            return;
        }

        if (events.Count > MaxEvents)
        {
            errors.Add("events", $"At most {MaxEvents} event types per subscription; use a pattern such as 'order.*'.");
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (string.IsNullOrWhiteSpace(e))
            {
                errors.Add("events", "Event type names must not be empty.");
            }
            else if (!seen.Add(e))
            {
                errors.Add("events", $"'{e}' is listed more than once; list each event type once.");
            }
            else if (!IsKnownPattern(e))
            {
                errors.Add("events", $"Unknown event type '{e}'. Known: {WebhookUnknownEventTypeException.FormatKnown(catalog.EventTypes.Select(t => t.Name))}.");
            }
        }
    }

    private bool IsKnownPattern(string e)
    {
        if (e == "*")
        {
            return catalog.EventTypes.Count > 0;
        }

        if (e.EndsWith(".*", StringComparison.Ordinal))
        {
            return catalog.EventTypes.Any(t => t.GetSubscriptionPatterns().Contains(e, StringComparer.Ordinal));
        }

        return catalog.Find(e) is not null;
    }

    private static void ValidateDescription(Errors errors, string? description)
    {
        if (description is { Length: > MaxDescriptionLength })
        {
            errors.Add("description", $"The description is {description.Length} characters; the limit is {MaxDescriptionLength}.");
        }
    }

    private static void ValidateAuth(Errors errors, WebhookAuth auth)
    {
        switch (auth.Kind)
        {
            case WebhookAuthKind.None:
                return;
            case WebhookAuthKind.Basic:
                CheckAuthValue(errors, "auth.username", auth.Username, "Basic auth needs a username.");
                if (auth.Username?.Contains(':', StringComparison.Ordinal) == true)
                {
                    errors.Add("auth.username", "A Basic auth username must not contain ':'.");
                }

                CheckAuthValue(errors, "auth.password", auth.Secret, "Basic auth needs a password.");
                return;
            case WebhookAuthKind.Bearer:
                CheckAuthValue(errors, "auth.token", auth.Secret, "Bearer auth needs a token.");
                return;
            case WebhookAuthKind.ApiKey:
                CheckAuthValue(errors, "auth.headerName", auth.HeaderName, "API key auth needs a header name, such as X-Api-Key.");
                if (auth.HeaderName is not null && !IsToken(auth.HeaderName))
                {
                    errors.Add("auth.headerName", "The API key header name may hold only letters, digits and !#$%&'*+-.^_`|~.");
                }
                else if (auth.HeaderName is not null && (ForbiddenHeaders.Contains(auth.HeaderName) || auth.HeaderName.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)))
                {
                    errors.Add("auth.headerName", $"The API key cannot be sent in the '{auth.HeaderName}' header; choose another, such as X-Api-Key.");
                }

                CheckAuthValue(errors, "auth.key", auth.Secret, "API key auth needs a key.");
                return;
            default:
                errors.Add("auth.type", "Auth type must be none, basic, bearer or apiKey.");
                return;
        }
    }

    // Seed 001: auth fields are limited to 255 bytes, printable ASCII only. Messages never echo the value.
    private static void CheckAuthValue(Errors errors, string field, string? value, string missing)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Add(field, missing);
        }
        else if (value.Any(c => c is < ' ' or > '~'))
        {
            errors.Add(field, "Use printable ASCII characters only (no accents, emoji or control characters).");
        }
        else if (value.Length > WebhookAuth.MaxValueBytes)
        {
            errors.Add(field, $"The value is {value.Length} bytes; the limit is {WebhookAuth.MaxValueBytes}.");
        }
    }

    private void ValidateHeaders(Errors errors, IReadOnlyDictionary<string, string>? headers, WebhookAuth auth)
    {
        if (headers is null || headers.Count == 0)
        {
            return;
        }

        if (headers.Count > MaxHeaders)
        {
            errors.Add("headers", $"At most {MaxHeaders} custom headers.");
            return;
        }

        var o = options.Value;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            if (name is not null && !seen.Add(name))
            {
                errors.Add("headers", $"Header '{Printable(name)}' is given more than once (names are case-insensitive).");
            }

            if (name is null || !IsToken(name))
            {
                errors.Add("headers", $"Header name '{Printable(name ?? "")}' may hold only letters, digits and !#$%&'*+-.^_`|~.");
            }
            else if (ForbiddenHeaders.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, o.HmacSignatureHeader, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, o.EventTypeHeader, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, o.SubscriptionNameHeader, StringComparison.OrdinalIgnoreCase)
                || (auth.Kind == WebhookAuthKind.ApiKey && string.Equals(name, auth.HeaderName, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add("headers", $"Header '{name}' is set by the library (signature, auth or transport) and cannot be overridden.");
            }

            if (value is null || value.Any(c => c is '\r' or '\n' or '\0' || (char.IsControl(c) && c != '\t')))
            {
                errors.Add("headers", $"The value of header '{Printable(name ?? "")}' must not contain line breaks or control characters.");
            }
            else if (!WebhookHeaderRules.IsSafeValue(value))
            {
                errors.Add("headers", $"The value of header '{Printable(name ?? "")}' must be printable ASCII (no accents, emoji or other non-ASCII characters).");
            }
            else if (value.Length > MaxHeaderValueLength)
            {
                errors.Add("headers", $"The value of header '{name}' is {value.Length} characters; the limit is {MaxHeaderValueLength}.");
            }
        }
    }

    private static void ValidateMetadata(Errors errors, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > MaxMetadataEntries)
        {
            errors.Add("metadata", $"At most {MaxMetadataEntries} metadata entries.");
        }

        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key) || key.Length > 64)
            {
                errors.Add("metadata", "Metadata keys must be 1 to 64 characters.");
            }

            if (value is { Length: > 1024 })
            {
                errors.Add("metadata", $"The metadata value of '{key}' is over 1024 characters.");
            }
        }
    }

    private static void ValidateFilter(Errors errors, IReadOnlyDictionary<string, IReadOnlyList<string>>? filter)
    {
        if (filter is null)
        {
            return;
        }

        if (filter.Count > 10)
        {
            errors.Add("filter", "At most 10 filter keys.");
        }

        foreach (var (key, values) in filter)
        {
            if (string.IsNullOrEmpty(key) || key.Length > 64)
            {
                errors.Add("filter", "Filter keys must be 1 to 64 characters.");
            }
            else if (values is null || values.Count is 0 or > 50)
            {
                errors.Add("filter", $"Filter '{key}' needs 1 to 50 allowed values.");
            }
            else if (values.Any(v => string.IsNullOrEmpty(v) || v.Length > 256))
            {
                errors.Add("filter", $"Filter '{key}' values must be 1 to 256 characters.");
            }
        }
    }

    private static void ValidatePayloadFilter(Errors errors, string? filter)
    {
        if (filter is not null && !WebhookPayloadFilter.TryParse(filter, out _, out var problems))
        {
            foreach (var problem in problems)
            {
                errors.Add("payloadFilter", problem);
            }
        }
    }

    private void ValidateScheme(Errors errors, string? scheme)
    {
        if (scheme is not null && !_schemes.Contains(scheme))
        {
            errors.Add("signatureScheme", $"Unknown signature scheme '{scheme}'. Known: {string.Join(", ", _schemes)}.");
        }
    }

    /// <summary>Headers the library sets itself (transport, hop-by-hop, auth, signature, configured headers).</summary>
    internal static bool IsReservedHeader(string name, WebhookOptions o) =>
        ForbiddenHeaders.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, o.HmacSignatureHeader, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, o.EventTypeHeader, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, o.SubscriptionNameHeader, StringComparison.OrdinalIgnoreCase);

    private static bool IsToken(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static string Printable(string s) => new(s.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private sealed class Errors
    {
        private Dictionary<string, List<string>>? _errors;

        public void Add(string field, string message)
        {
            _errors ??= new(StringComparer.Ordinal);
            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            if (!list.Contains(message))
            {
                list.Add(message);
            }
        }

        public void ThrowIfAny()
        {
            if (_errors is not null)
            {
                throw new WebhookValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
            }
        }
    }
}
