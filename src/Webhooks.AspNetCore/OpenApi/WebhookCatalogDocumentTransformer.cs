using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Signing;

namespace Webhooks.AspNetCore.OpenApi;

/// <summary>
/// Adds every event type of the catalog to the document's OpenAPI 3.1 <c>webhooks</c> map: one
/// <c>POST</c> per event type, with what a receiver gets (the body, as the publisher writes it, and
/// the headers every delivery carries) and what it should answer.
/// </summary>
internal sealed class WebhookCatalogDocumentTransformer(OpenApiOptions openApiOptions) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(context);

        // A 3.0 document has no webhooks map: its writer would drop them without a word.
        if (openApiOptions.OpenApiVersion < OpenApiSpecVersion.OpenApi3_1)
        {
            throw new InvalidOperationException(
                $"AddWebhooksToOpenApi() writes the OpenAPI 3.1 'webhooks' map, which OpenAPI {openApiOptions.OpenApiVersion} documents do not have: " +
                $"leave OpenApiOptions.OpenApiVersion at its default (3.1) for document '{context.DocumentName}', or remove AddWebhooksToOpenApi() from it.");
        }

        var catalog = context.ApplicationServices.GetService<IWebhookEventCatalog>()
            ?? throw new InvalidOperationException("AddWebhooksToOpenApi() describes the webhooks' event catalog: call services.AddWebhooks() and register the event types with AddEventType.");
        var options = context.ApplicationServices.GetRequiredService<IOptions<WebhookOptions>>().Value;

        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>(StringComparer.Ordinal);
        var operationIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in document.Paths?.Values ?? Enumerable.Empty<IOpenApiPathItem>())
        {
            foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            {
                if (operation.OperationId is { } id)
                {
                    operationIds.Add(id);
                }
            }
        }

        foreach (var eventType in catalog.EventTypes)
        {
            document.Webhooks[eventType.Name] = new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation>
                {
                    [HttpMethod.Post] = Operation(eventType, options, document, UniqueOperationId(eventType.Name, operationIds)),
                },
            };
        }

        return Task.CompletedTask;
    }

    private static OpenApiOperation Operation(WebhookEventType eventType, WebhookOptions options, OpenApiDocument document, string operationId) => new()
    {
        OperationId = operationId,
        Summary = eventType.Description ?? eventType.Name,
        Description = Describe(eventType),
        Deprecated = eventType.Deprecated,
        Parameters = Headers(eventType, options),
        RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = options.PayloadFormat == WebhookPayloadFormat.Data
                ? "The published data alone (PayloadFormat = Data)."
                : "The Standard Webhooks envelope: the event type, when it happened, and the published data.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new() { Schema = Body(eventType, options, document, operationId) },
            },
        },
        Responses = new OpenApiResponses
        {
            ["2XX"] = new OpenApiResponse { Description = "Received: any 2xx answer acknowledges the delivery. Other answers, and no answer in time, are retried on the retry schedule." },
            ["410"] = new OpenApiResponse { Description = "Gone: the subscription is disabled at once, and nothing more is sent to it." },
        },
    };

    private static string Describe(WebhookEventType eventType)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Event type `{eventType.Name}`");
        if (eventType.Group is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", group `{eventType.Group}`");
        }

        if (eventType.Version is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", payload version `{eventType.Version}`");
        }

        text.Append(". Sent to the subscriptions that list any of: ");
        text.AppendJoin(", ", eventType.GetSubscriptionPatterns().Select(p => "`" + p + "`"));
        text.Append('.');
        if (eventType.Deprecated)
        {
            text.Append(" Deprecated: still sent, but new integrations should not rely on it.");
        }

        return text.ToString();
    }

    private static List<IOpenApiParameter> Headers(WebhookEventType eventType, WebhookOptions options)
    {
        bool hexByDefault = string.Equals(options.DefaultSignatureScheme, WebhookSignatureSchemes.HmacSha256Hex, StringComparison.Ordinal);
        var headers = new List<IOpenApiParameter>
        {
            Header(WebhookHeaders.Id, true, "The message id (`msg_…`), the same on every attempt of a message: drop a message seen before.", String()),
            Header(WebhookHeaders.Timestamp, true, "When the attempt was signed, in Unix seconds: refuse one too far from now (a replay).", new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" }),
            Header(
                WebhookHeaders.Signature,
                !hexByDefault,
                "Standard Webhooks signatures, space-separated, one per active secret (two during a secret rotation): `v1,` + base64 HMAC-SHA256 of " +
                "`{webhook-id}.{webhook-timestamp}.{body}` keyed by the base64-decoded part of the `whsec_` secret" +
                (hexByDefault ? $". Sent instead of {options.HmacSignatureHeader} for subscriptions that use the `{WebhookSignatureSchemes.StandardWebhooks}` scheme." : "."),
                String()),
            Header(
                options.HmacSignatureHeader,
                hexByDefault,
                "`sha256=` + hex HMAC-SHA256 of the body keyed by the UTF-8 bytes of the whole secret; space-separated during a secret rotation" +
                (hexByDefault ? "." : $". Sent instead of {WebhookHeaders.Signature} for subscriptions that use the `{WebhookSignatureSchemes.HmacSha256Hex}` scheme."),
                String()),
        };
        if (options.EventTypeHeader is { } eventHeader)
        {
            headers.Add(Header(eventHeader, true, "The event type.", new OpenApiSchema { Type = JsonSchemaType.String, Const = eventType.Name }));
        }

        if (options.SubscriptionNameHeader is { } nameHeader)
        {
            headers.Add(Header(nameHeader, false, "The name of the subscription the delivery is for.", String()));
        }

        return headers;
    }

    private static OpenApiParameter Header(string name, bool required, string description, OpenApiSchema schema) =>
        new() { Name = name, In = ParameterLocation.Header, Required = required, Description = description, Schema = schema };

    private static OpenApiSchema String() => new() { Type = JsonSchemaType.String };

    private static IOpenApiSchema Body(WebhookEventType eventType, WebhookOptions options, OpenApiDocument document, string operationId)
    {
        var data = Data(eventType, document, operationId);
        if (options.PayloadFormat == WebhookPayloadFormat.Data)
        {
            return data;
        }

        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string>(StringComparer.Ordinal) { "type", "timestamp", "data" },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Const = eventType.Name, Description = "The event type." },
                ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", Description = "When the event happened." },
                ["data"] = data,
            },
        };
    }

    /// <summary>The catalog's JSON schema of the data (generated from a typed registration, or given), or any JSON when it has none.</summary>
    private static IOpenApiSchema Data(WebhookEventType eventType, OpenApiDocument document, string operationId)
    {
        if (eventType.Schema is not { } schema || JsonNode.Parse(schema.GetRawText()) is not { } node)
        {
            return new OpenApiSchema { Description = "Any JSON: the event type has no schema in the catalog." };
        }

        node = SchemaNode(node);
        if (!HasReference(node))
        {
            return Parse(node, document);
        }

        // A recursive type refers to itself with pointers from the schema's root ("#", "#/properties/…"):
        // as a component they keep pointing into it.
        var id = operationId + "Data";
        Rebase(node, "#/components/schemas/" + id);
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[id] = Parse(node, document);
        return new OpenApiSchemaReference(id, document);
    }

    private static OpenApiSchema Parse(JsonNode node, OpenApiDocument document) =>
        new ParsingContext(new OpenApiDiagnostic()).ParseFragment<OpenApiSchema>(node, OpenApiSpecVersion.OpenApi3_1, document) ?? new OpenApiSchema();

    // JSON Schema keywords whose value is a schema, a map of schemas, or a list of schemas.
    private static readonly HashSet<string> SchemaKeywords = new(StringComparer.Ordinal) { "items", "not", "if", "then", "else", "contains", "propertyNames", "additionalItems", "contentSchema" };
    private static readonly HashSet<string> SchemaMapKeywords = new(StringComparer.Ordinal) { "properties", "patternProperties", "$defs", "definitions", "dependentSchemas" };
    private static readonly HashSet<string> SchemaListKeywords = new(StringComparer.Ordinal) { "allOf", "anyOf", "oneOf", "prefixItems" };

    /// <summary>
    /// Boolean schemas (<c>true</c>: anything, as System.Text.Json writes for <c>JsonElement</c>;
    /// <c>false</c>: nothing) become the object schemas <c>{}</c> and <c>{"not":{}}</c>, which the OpenAPI model holds.
    /// </summary>
    private static JsonNode SchemaNode(JsonNode node)
    {
        switch (node.GetValueKind())
        {
            case JsonValueKind.True:
                return new JsonObject();
            case JsonValueKind.False:
                return new JsonObject { ["not"] = new JsonObject() };
        }

        if (node is JsonObject schema)
        {
            foreach (var (key, value) in schema.ToList())
            {
                if (SchemaKeywords.Contains(key) || (key == "additionalProperties" && value is JsonObject))
                {
                    Replace(value, sub => schema[key] = sub);
                }
                else if (SchemaMapKeywords.Contains(key) && value is JsonObject map)
                {
                    foreach (var (name, sub) in map.ToList())
                    {
                        Replace(sub, replaced => map[name] = replaced);
                    }
                }
                else if (SchemaListKeywords.Contains(key) && value is JsonArray list)
                {
                    for (int i = 0; i < list.Count; i++)
                    {
                        int at = i;
                        Replace(list[i], replaced => list[at] = replaced);
                    }
                }
            }
        }

        return node;

        static void Replace(JsonNode? sub, Action<JsonNode> set)
        {
            if (sub is not null && SchemaNode(sub) is var normalized && !ReferenceEquals(normalized, sub))
            {
                set(normalized);
            }
        }
    }

    private static bool HasReference(JsonNode? node) => node switch
    {
        JsonObject o => o.Any(p => (p.Key == "$ref" && p.Value?.GetValueKind() == JsonValueKind.String) || HasReference(p.Value)),
        JsonArray a => a.Any(HasReference),
        _ => false,
    };

    private static void Rebase(JsonNode? node, string root)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (key == "$ref" && value?.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { } pointer && pointer.StartsWith('#'))
                    {
                        o[key] = root + pointer[1..];
                    }
                    else
                    {
                        Rebase(value, root);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Rebase(item, root);
                }

                break;
        }
    }

    /// <summary><c>order.created</c> becomes <c>OrderCreatedWebhook</c>: an identifier code generators can use, unique in the document.</summary>
    private static string UniqueOperationId(string eventName, HashSet<string> taken)
    {
        var id = new StringBuilder();
        bool upper = true;
        foreach (var c in eventName)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }

            id.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        id.Append("Webhook");
        var candidate = id.ToString();
        for (int n = 2; !taken.Add(candidate); n++)
        {
            candidate = id.ToString() + n.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
