using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Signing;

namespace Webhooks.AspNetCore.Tests.OpenApi;

/// <summary>AddWebhooksToOpenApi() on a real Kestrel app: every catalog entry, read over HTTP, in the OpenAPI 3.1 webhooks map of the app's own document.</summary>
public sealed class WebhooksOpenApiTests
{
    public sealed record Invoice(string Number, decimal Total, IReadOnlyList<InvoiceLine> Lines, DateTimeOffset IssuedAt, string? Note, Dictionary<string, string> Tags, JsonElement Extra);

    public sealed record InvoiceLine(string Sku, int Quantity);

    public sealed record TreeNode(string Name, IReadOnlyList<TreeNode> Children);

    public sealed record Folder(string Path, TreeNode Root);

    [Fact]
    public async Task Document_EveryCatalogEntry_IsAWebhookWithItsSchemaDeprecationAndSignatureHeaders()
    {
        await using var host = await StartAsync();
        var (document, catalog) = await ReadAsync(host);

        document["openapi"]!.GetValue<string>().Should().StartWith("3.1");
        catalog.Select(e => (string)e["name"]!).Should().Contain(["order.created", "item-add", "invoice.paid", "invoice.created", "tree.changed", "folder.moved", "report:ready"]);
        document["webhooks"]!.AsObject().Select(w => w.Key).Should().BeEquivalentTo(catalog.Select(e => (string)e["name"]!), "every catalog entry, and nothing else, is a webhook");
        foreach (var entry in catalog)
        {
            var name = (string)entry["name"]!;
            var operation = document["webhooks"]![name]!["post"];
            operation.Should().NotBeNull($"{name} is sent as a POST");
            operation!["summary"]!.GetValue<string>().Should().Be((string?)entry["description"] ?? name);
            operation["description"]!.GetValue<string>().Should().Contain($"`{name}`");
            ((bool?)operation["deprecated"] ?? false).Should().Be((bool)entry["deprecated"]!, $"{name}'s deprecated flag");

            var body = Resolve(document, operation["requestBody"]!["content"]!["application/json"]!["schema"]!);
            operation["requestBody"]!["required"]!.GetValue<bool>().Should().BeTrue();
            body["type"]!.GetValue<string>().Should().Be("object");
            body["required"]!.AsArray().Select(r => (string)r!).Should().BeEquivalentTo("type", "timestamp", "data");
            body["properties"]!["type"]!["const"]!.GetValue<string>().Should().Be(name);
            body["properties"]!["timestamp"]!["format"]!.GetValue<string>().Should().Be("date-time");
            AssertSameSchema(document, body["properties"]!["data"]!, entry["schema"], name);

            var headers = Headers(operation);
            headers.Should().ContainKeys(WebhookHeaders.Id, WebhookHeaders.Timestamp, WebhookHeaders.Signature, "X-Webhook-Signature");
            headers.Values.Should().OnlyContain(h => (string)h["in"]! == "header" && !string.IsNullOrWhiteSpace((string?)h["description"]));
            Required(headers[WebhookHeaders.Id]).Should().BeTrue();
            Required(headers[WebhookHeaders.Timestamp]).Should().BeTrue();
            headers[WebhookHeaders.Timestamp]["schema"]!["type"]!.GetValue<string>().Should().Be("integer");
            Required(headers[WebhookHeaders.Signature]).Should().BeTrue("standard-webhooks is the default scheme");
            Required(headers["X-Webhook-Signature"]).Should().BeFalse("only subscriptions that choose hmac-sha256 get it");
            operation["responses"]!.AsObject().Select(r => r.Key).Should().BeEquivalentTo("2XX", "410");
        }

        var ids = catalog.Select(e => (string)document["webhooks"]![(string)e["name"]!]!["post"]!["operationId"]!).ToList();
        ids.Should().OnlyHaveUniqueItems().And.Contain(["OrderCreatedWebhook", "ItemAddWebhook", "ReportReadyWebhook"]);
        document["webhooks"]!["invoice.paid"]!["post"]!["deprecated"]!.GetValue<bool>().Should().BeTrue();
        document["webhooks"]!["tree.changed"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["properties"]!["data"]!["$ref"]!
            .GetValue<string>().Should().Be("#/components/schemas/TreeChangedWebhookData", "a recursive type becomes a component that refers to itself");
    }

    [Fact]
    public async Task Document_DataFormatHexSchemeAndExtraHeaders_FollowTheOptions()
    {
        await using var host = await StartAsync(o =>
        {
            o.PayloadFormat = WebhookPayloadFormat.Data;
            o.DefaultSignatureScheme = WebhookSignatureSchemes.HmacSha256Hex;
            o.HmacSignatureHeader = "X-Signature";
            o.EventTypeHeader = "X-Webhook-Action";
            o.SubscriptionNameHeader = "X-Webhook-Name";
        });
        var (document, catalog) = await ReadAsync(host);

        foreach (var entry in catalog)
        {
            var name = (string)entry["name"]!;
            var operation = document["webhooks"]![name]!["post"]!;
            AssertSameSchema(document, operation["requestBody"]!["content"]!["application/json"]!["schema"]!, entry["schema"], name + " (the data alone)");
            var headers = Headers(operation);
            Required(headers["X-Signature"]).Should().BeTrue("hmac-sha256 is the default scheme");
            Required(headers[WebhookHeaders.Signature]).Should().BeFalse();
            headers.Should().NotContainKey("X-Webhook-Signature", "the hex signature goes in the configured header");
            Required(headers["X-Webhook-Action"]).Should().BeTrue();
            headers["X-Webhook-Action"]["schema"]!["const"]!.GetValue<string>().Should().Be(name);
            Required(headers["X-Webhook-Name"]).Should().BeFalse();
        }
    }

    [Fact]
    public async Task Document_OpenApi30_FailsSayingWhatToChange()
    {
        await using var host = await StartAsync(openApi: o => o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0);
        using var client = host.Client(null);

        var act = () => host.Services.GetRequiredKeyedService<IOpenApiDocumentProvider>("v1").GetOpenApiDocumentAsync();

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*OpenAPI 3.1*OpenApiVersion*'v1'*");
        (await client.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.InternalServerError);
    }

    private static Task<ApiHost> StartAsync(Action<WebhookOptions>? options = null, Action<OpenApiOptions>? openApi = null) =>
        ApiHost.StartAsync(
            options,
            webhooks: w =>
            {
                w.AddEventType<Invoice>("invoice.created", "An invoice was created.", "invoice")
                    .AddEventType<TreeNode>("tree.changed", "A tree changed.")
                    .AddEventType<Folder>("folder.moved")
                    .AddEventType(new WebhookEventType("report:ready")
                    {
                        Description = "A report is ready.",
                        Schema = JsonElement.Parse("""{"type":"object","properties":{"url":{"type":"string","format":"uri"},"pages":{"type":"integer","minimum":1},"raw":true},"required":["url"]}"""),
                    });
                w.Services.Configure<OpenApiOptions>("v1", o =>
                {
                    openApi?.Invoke(o);
                    o.AddWebhooksToOpenApi();
                });
            });

    /// <summary>The document, anonymously, and the catalog as a manager reads it from GET /webhooks/event-types, both over HTTP.</summary>
    private static async Task<(JsonNode Document, List<JsonNode> Catalog)> ReadAsync(ApiHost host)
    {
        using var anonymous = host.Client(null);
        using var manager = host.Client(ApiFixture.NewOwner());
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);
        var catalog = await (await manager.GetAsync("/webhooks/event-types")).JsonAsync(HttpStatusCode.OK);
        var entries = catalog["groups"]!.AsArray().SelectMany(g => g!["eventTypes"]!.AsArray())
            .Concat(catalog["eventTypes"]?.AsArray() ?? [])
            .Select(e => e!)
            .ToList();
        return (document, entries);
    }

    private static Dictionary<string, JsonNode> Headers(JsonNode operation) =>
        operation["parameters"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!);

    private static bool Required(JsonNode parameter) => (bool?)parameter["required"] ?? false;

    private static JsonNode Resolve(JsonNode document, JsonNode schema) =>
        schema["$ref"] is { } reference ? document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]! : schema;

    /// <summary>
    /// The document's schema of the data says what the catalog's says: the same keywords and values, read
    /// as JSON Schema (a boolean schema is its object form, the order of a type list or required list does
    /// not matter, a component's self-references are the catalog's root pointers).
    /// </summary>
    private static void AssertSameSchema(JsonNode document, JsonNode inDocument, JsonNode? inCatalog, string what)
    {
        if (inCatalog is null)
        {
            inDocument.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["description"], $"{what} has no schema in the catalog, so any JSON");
            return;
        }

        string root = inDocument["$ref"] is { } reference ? (string)reference! : "\0";
        var actual = Canonical(Resolve(document, inDocument), root);
        var expected = Canonical(inCatalog, "\0");
        JsonNode.DeepEquals(actual, expected).Should().BeTrue($"{what}: the document has {actual.ToJsonString()}, the catalog {expected.ToJsonString()}");
    }

    private static JsonNode Canonical(JsonNode? node, string root) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Key switch
        {
            "type" or "required" when p.Value is JsonArray a => new JsonArray([.. a.Select(x => (string)x!).Order(StringComparer.Ordinal).Select(x => (JsonNode)x)]),
            "$ref" => (JsonNode)((string)p.Value! is var r && r.StartsWith(root, StringComparison.Ordinal) ? "#" + r[root.Length..] : r),
            _ => Canonical(p.Value, root),
        }))),
        JsonArray a => new JsonArray([.. a.Select(x => Canonical(x, root))]),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => new JsonObject(),
        _ => node?.DeepClone()!,
    };
}
