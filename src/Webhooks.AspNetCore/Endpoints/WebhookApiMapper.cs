using System.Text.Json;
using Webhooks.AspNetCore.Models;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Publishing;
using Webhooks.Core.Subscriptions;

namespace Webhooks.AspNetCore.Endpoints;

/// <summary>Maps the HTTP shapes to the core's types and back. No validation of values here: the core's one validation path does that.</summary>
internal static class WebhookApiMapper
{
    private const string Masked = "****";

    public static WebhookSubscriptionDefinition ToDefinition(WebhookSubscriptionCreateRequest r) => new()
    {
        // Missing required fields pass through as empty, so the core reports them ("A name is required.").
        Name = r.Name ?? "",
        Url = r.Url ?? "",
        Events = r.Events ?? [],
        Description = r.Description,
        Auth = ToAuth(r.Auth),
        Headers = r.Headers,
        Metadata = r.Metadata,
        Filter = r.Filter,
        PayloadFilter = FilterText(r.PayloadFilter),
        RateLimit = r.RateLimit,
        Ordered = r.Ordered ?? false,
        Active = r.Active ?? true,
        Secret = r.Secret,
        SignatureScheme = r.SignatureScheme,
    };

    public static WebhookSubscriptionPatch ToPatch(WebhookSubscriptionUpdateRequest r) => new()
    {
        Name = r.Name,
        Url = r.Url,
        Events = r.Events,
        Description = r.Description,
        Auth = ToAuth(r.Auth),
        Headers = r.Headers,
        Metadata = r.Metadata,
        Filter = r.Filter,
        PayloadFilter = FilterText(r.PayloadFilter),
        RateLimit = r.RateLimit,
        Ordered = r.Ordered,
        Active = r.Active,
        SignatureScheme = r.SignatureScheme,
    };

    public static WebhookTestTarget ToTestTarget(WebhookTestRequest r) => new()
    {
        Url = r.Url ?? "",
        Auth = ToAuth(r.Auth),
        Headers = r.Headers,
        Secret = r.Secret,
        SignatureScheme = r.SignatureScheme,
        Name = r.Name,
    };

    /// <summary>
    /// Maps the JSON auth object. An unknown type, or a field the type does not use, is a 400 on
    /// its field: silently dropping a credential the caller meant to set would be worse.
    /// </summary>
    public static WebhookAuth? ToAuth(WebhookAuthModel? m)
    {
        if (m is null)
        {
            return null;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        WebhookAuth? auth = null;
        switch (m.Type?.ToUpperInvariant())
        {
            case "NONE":
                Unused(m.Username, "username", "none");
                Unused(m.Password, "password", "none");
                Unused(m.Token, "token", "none");
                Unused(m.HeaderName, "headerName", "none");
                Unused(m.Key, "key", "none");
                auth = WebhookAuth.None;
                break;
            case "BASIC":
                Unused(m.Token, "token", "basic");
                Unused(m.HeaderName, "headerName", "basic");
                Unused(m.Key, "key", "basic");
                auth = new WebhookAuth { Kind = WebhookAuthKind.Basic, Username = m.Username, Secret = m.Password };
                break;
            case "BEARER":
                Unused(m.Username, "username", "bearer");
                Unused(m.Password, "password", "bearer");
                Unused(m.HeaderName, "headerName", "bearer");
                Unused(m.Key, "key", "bearer");
                auth = new WebhookAuth { Kind = WebhookAuthKind.Bearer, Secret = m.Token };
                break;
            case "APIKEY":
                Unused(m.Username, "username", "apiKey");
                Unused(m.Password, "password", "apiKey");
                Unused(m.Token, "token", "apiKey");
                auth = new WebhookAuth { Kind = WebhookAuthKind.ApiKey, HeaderName = m.HeaderName, Secret = m.Key };
                break;
            case null:
                errors["auth.type"] = ["Give the auth type: none, basic, bearer or apiKey."];
                break;
            default:
                errors["auth.type"] = ["Auth type must be none, basic, bearer or apiKey."];
                break;
        }

        if (errors.Count > 0)
        {
            throw new WebhookValidationException(errors);
        }

        return auth;

        void Unused(string? value, string field, string type)
        {
            if (value is not null)
            {
                errors["auth." + field] = [$"'{field}' is not used by {type} auth; remove it or change the type."];
            }
        }
    }

    public static WebhookSubscriptionResponse ToResponse(WebhookSubscription s, WebhookEndpointCircuit circuit, string? fullSecret = null) => new()
    {
        Id = s.Id,
        Name = s.Name,
        Url = s.Url,
        Events = s.Events,
        Description = s.Description,
        Active = s.Active,
        DisabledReason = s.DisabledReason,
        FailingSince = s.FailingSince,
        Endpoint = new WebhookEndpointStateResponse
        {
            Endpoint = circuit.Endpoint,
            Circuit = circuit.State switch
            {
                WebhookCircuitState.Open => "open",
                WebhookCircuitState.HalfOpen => "halfOpen",
                _ => "closed",
            },
            OpenUntil = circuit.OpenUntil,
        },
        Auth = ToMaskedModel(s.Auth),
        Headers = s.Headers,
        Metadata = s.Metadata,
        Filter = s.Filter,
        PayloadFilter = FilterElement(s.PayloadFilter),
        RateLimit = s.RateLimit,
        Ordered = s.Ordered,
        SignatureScheme = s.SignatureScheme,

        // Reads come masked from the manager; create and rotate return the stored secret, shown only
        // through fullSecret. Mask() is idempotent ("whsec_…abcd" stays as it is).
        Secret = fullSecret ?? WebhookSecret.Mask(s.Secrets.Count > 0 ? s.Secrets[0].Value : null),
        CreatedAt = s.CreatedAt,
        UpdatedAt = s.UpdatedAt,
        Version = s.Version,
    };

    // The JSON as sent goes to the core's one validation path, which reports every problem under
    // payloadFilter (a JSON string is passed on as one, so the core can say "send an object").
    // null is "not given", like every other field's.
    private static string? FilterText(JsonElement? filter) =>
        filter is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } f ? f.GetRawText() : null;

    private static JsonElement? FilterElement(string? stored)
    {
        if (stored is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(stored);
        return document.RootElement.Clone();
    }

    public static WebhookAuthModel ToMaskedModel(WebhookAuth auth) => auth.Kind switch
    {
        WebhookAuthKind.Basic => new WebhookAuthModel { Type = "basic", Username = auth.Username, Password = Masked },
        WebhookAuthKind.Bearer => new WebhookAuthModel { Type = "bearer", Token = Masked },
        WebhookAuthKind.ApiKey => new WebhookAuthModel { Type = "apiKey", HeaderName = auth.HeaderName, Key = Masked },
        _ => new WebhookAuthModel { Type = "none" },
    };

    public static WebhookEventCatalogResponse ToCatalog(IWebhookEventCatalog catalog)
    {
        var groups = new List<(string? Name, List<WebhookEventType> Types)>();
        foreach (var type in catalog.EventTypes)
        {
            var name = type.Group ?? (type.Name.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot ? type.Name[..dot] : null);
            var group = groups.FindIndex(g => g.Name == name);
            if (group < 0)
            {
                groups.Add((name, [type]));
            }
            else
            {
                groups[group].Types.Add(type);
            }
        }

        return new WebhookEventCatalogResponse
        {
            Groups = [.. groups
                .OrderBy(g => g.Name is null ? 1 : 0)
                .Select(g => new WebhookEventGroupResponse
                {
                    Name = g.Name,
                    Pattern = g.Name is { } n && g.Types.All(t => t.GetSubscriptionPatterns().Contains(n + ".*", StringComparer.Ordinal)) ? n + ".*" : null,
                    EventTypes = [.. g.Types.Select(t => new WebhookEventTypeResponse
                    {
                        Name = t.Name,
                        Description = t.Description,
                        Version = t.Version,
                        Deprecated = t.Deprecated,
                        Schema = t.Schema,
                        RetryScheduleSeconds = t.RetrySchedule is { } r ? [.. r.Select(d => d.TotalSeconds)] : null,
                    })],
                })],
        };
    }

    public static WebhookTestResponse ToTestResponse(WebhookAttempt a) => new()
    {
        Succeeded = a.Succeeded,
        StatusCode = a.StatusCode,
        DurationMs = Math.Round(a.Duration.TotalMilliseconds, 1),
        ResponseExcerpt = a.ResponseExcerpt,
        ErrorKind = Camel(a.ErrorKind.ToString()),
        Error = a.Error,
    };

    public static WebhookDeliveryResponse ToResponse(WebhookDelivery d, IReadOnlyList<WebhookAttempt>? attempts = null) => new()
    {
        Id = d.Id,
        MessageId = d.MessageId,
        SubscriptionId = d.SubscriptionId,
        EventType = d.EventType,
        OrderingKey = d.OrderingKey,
        Status = Camel(d.Status.ToString()),
        AttemptCount = d.AttemptCount,
        CreatedAt = d.CreatedAt,
        NextAttemptAt = d.NextAttemptAt,
        LastAttemptAt = d.LastAttemptAt,
        LastStatusCode = d.LastStatusCode,
        LastError = d.LastError,
        Attempts = attempts is null ? null : [.. attempts.Select(a => new WebhookAttemptResponse
        {
            Number = a.Number,
            StartedAt = a.StartedAt,
            DurationMs = Math.Round(a.Duration.TotalMilliseconds, 1),
            StatusCode = a.StatusCode,
            ResponseExcerpt = a.ResponseExcerpt,
            Succeeded = a.Succeeded,
            ErrorKind = Camel(a.ErrorKind.ToString()),
            Error = a.Error,
        })],
    };

    public static WebhookStatsResponse ToStats(IReadOnlyList<WebhookStatsBucket> buckets, DateTimeOffset start, DateTimeOffset end, TimeSpan bucket) => new()
    {
        WindowStart = start,
        WindowEnd = end,
        BucketSeconds = (long)bucket.TotalSeconds,
        Succeeded = buckets.Sum(b => b.Succeeded),
        Failed = buckets.Sum(b => b.Failed),
        Buckets = [.. buckets.Select(b => new WebhookStatsBucketResponse { Start = b.Start, Succeeded = b.Succeeded, Failed = b.Failed })],
    };

    private static string Camel(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);
}
