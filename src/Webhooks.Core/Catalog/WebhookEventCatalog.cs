using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Schema;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Catalog;

/// <summary>Holds what the builder registered; frozen on first use so lookups are lock-free.</summary>
internal sealed class WebhookEventCatalog : IWebhookEventCatalog
{
    private readonly FrozenDictionary<string, WebhookEventType> _byName;

    public WebhookEventCatalog(IOptions<WebhookCatalogOptions> options, IOptions<Serialization.WebhookSerializerOptions> serializer)
    {
        EventTypes = [.. options.Value.EventTypes.Select(e => WithSchema(e, serializer.Value.JsonSerializerOptions))];
        _byName = EventTypes
            .GroupBy(e => e.Name, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
    }

    public IReadOnlyList<WebhookEventType> EventTypes { get; }

    /// <summary>Typed registrations get a JSON schema generated from their payload type, unless one was given.</summary>
    private static WebhookEventType WithSchema(WebhookEventType e, JsonSerializerOptions jsonOptions)
    {
        if (e.PayloadType is null || e.Schema is not null)
        {
            return e;
        }

        var node = jsonOptions.GetJsonSchemaAsNode(e.PayloadType);
        return new WebhookEventType(e.Name)
        {
            Description = e.Description,
            Group = e.Group,
            Version = e.Version,
            Deprecated = e.Deprecated,
            RetrySchedule = e.RetrySchedule,
            PayloadType = e.PayloadType,
            Schema = JsonElement.Parse(node.ToJsonString()),
        };
    }

    public WebhookEventType? Find(string name) => _byName.GetValueOrDefault(name);
}

/// <summary>What the builder registered, collected through the options pattern so registration order does not matter.</summary>
internal sealed class WebhookCatalogOptions
{
    public List<WebhookEventType> EventTypes { get; } = [];
}

internal sealed class WebhookCatalogOptionsValidator : IValidateOptions<WebhookCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookCatalogOptions options)
    {
        var duplicates = options.EventTypes
            .GroupBy(e => e.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => g.Key)
            .ToList();
        var failures = new List<string>();
        if (duplicates.Count > 0)
        {
            failures.Add($"Webhook event type(s) registered more than once: {string.Join(", ", duplicates)}. Register each name once.");
        }

        foreach (var e in options.EventTypes.Where(e => e.RetrySchedule is { } r && (r.Count > 50 || r.Any(d => d < TimeSpan.Zero || d > TimeSpan.FromDays(7)))))
        {
            failures.Add($"Webhook event type '{e.Name}': RetrySchedule must be a list of at most 50 delays between 00:00:00 and 7.00:00:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
