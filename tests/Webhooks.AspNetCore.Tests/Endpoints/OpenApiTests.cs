using System.Net;
using System.Text.Json.Nodes;
using Webhooks.AspNetCore.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>Microsoft.AspNetCore.OpenApi's document of an app that maps MapWebhooks(): every route, named, summarised, typed, with its problems.</summary>
[Collection(ApiCollection.Name)]
public sealed class OpenApiTests(ApiFixture fixture)
{
    // method, path, operationId, request body schema (or null), success status, success schema (or null), problem statuses
    public static TheoryData<string, string, string, string?, string, string?, string> Operations => new()
    {
        { "get", "/webhooks/event-types", "ListWebhookEventTypes", null, "200", "WebhookEventCatalogResponse", "401 403" },
        { "get", "/webhooks", "ListWebhookSubscriptions", null, "200", "WebhookSubscriptionPage", "400 401 403" },
        { "post", "/webhooks", "CreateWebhookSubscription", "WebhookSubscriptionCreateRequest", "201", "WebhookSubscriptionResponse", "400 401 403 409 413 415" },
        { "post", "/webhooks/test", "TestWebhookUrl", "WebhookTestRequest", "200", "WebhookTestResponse", "400 401 403 413 415" },
        { "get", "/webhooks/{id}", "GetWebhookSubscription", null, "200", "WebhookSubscriptionResponse", "400 401 403 404" },
        { "put", "/webhooks/{id}", "UpdateWebhookSubscription", "WebhookSubscriptionUpdateRequest", "200", "WebhookSubscriptionResponse", "400 401 403 404 409 412 413 415" },
        { "patch", "/webhooks/{id}", "PatchWebhookSubscription", "WebhookSubscriptionUpdateRequest", "200", "WebhookSubscriptionResponse", "400 401 403 404 409 412 413 415" },
        { "delete", "/webhooks/{id}", "DeleteWebhookSubscription", null, "204", null, "400 401 403 404 412" },
        { "post", "/webhooks/{id}/enable", "EnableWebhookSubscription", null, "200", "WebhookSubscriptionResponse", "400 401 403 404 412" },
        { "post", "/webhooks/{id}/disable", "DisableWebhookSubscription", null, "200", "WebhookSubscriptionResponse", "400 401 403 404 412" },
        { "post", "/webhooks/{id}/rotate-secret", "RotateWebhookSecret", "WebhookRotateSecretRequest", "200", "WebhookSubscriptionResponse", "400 401 403 404 413 415" },
        { "post", "/webhooks/{id}/test", "TestWebhookSubscription", null, "200", "WebhookTestResponse", "400 401 403 404" },
        { "get", "/webhooks/{id}/deliveries", "ListWebhookDeliveries", null, "200", "WebhookDeliveryPage", "400 401 403 404" },
        { "get", "/webhooks/{id}/deliveries/{deliveryId}", "GetWebhookDelivery", null, "200", "WebhookDeliveryResponse", "400 401 403 404" },
        { "post", "/webhooks/{id}/deliveries/{deliveryId}/redeliver", "RedeliverWebhookDelivery", null, "202", "WebhookDeliveryResponse", "400 401 403 404 409" },
        { "post", "/webhooks/{id}/recover", "RecoverWebhookDeliveries", "WebhookRecoverRequest", "202", "WebhookRecoverResponse", "400 401 403 404 413 415" },
        { "get", "/webhooks/{id}/stats", "GetWebhookStats", null, "200", "WebhookStatsResponse", "400 401 403 404" },
        { "get", "/webhooks/deliveries", "ListAllWebhookDeliveries", null, "200", "WebhookDeliveryPage", "400 401 403 404" },
        { "get", "/webhooks/deliveries/{deliveryId}", "GetWebhookDeliveryById", null, "200", "WebhookDeliveryResponse", "400 401 403 404" },
        { "get", "/webhooks/stats", "GetAllWebhookStats", null, "200", "WebhookStatsResponse", "400 401 403 404" },
        { "get", "/webhooks/stats/subscriptions", "GetWebhookStatsBySubscription", null, "200", "WebhookStatsBySubscriptionResponse", "400 401 403" },
    };

    private async Task<JsonNode> DocumentAsync()
    {
        using var anonymous = fixture.Host.Client(null);
        return await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Document_EveryRoute_HasNameSummaryTypesAndProblems(string method, string path, string operationId, string? requestSchema, string success, string? successSchema, string problems)
    {
        var document = await DocumentAsync();

        var operation = document["paths"]![path]?[method];
        operation.Should().NotBeNull($"{method.ToUpperInvariant()} {path} is in the document");
        operation!["operationId"]!.GetValue<string>().Should().Be(operationId);
        operation["summary"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
        operation["description"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
        operation["tags"]!.AsArray().Select(t => (string)t!).Should().Contain("Webhooks");

        if (requestSchema is null)
        {
            operation["requestBody"].Should().BeNull();
        }
        else
        {
            operation["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().Should().Be("#/components/schemas/" + requestSchema);
        }

        var responses = operation["responses"]!.AsObject();
        responses.Select(r => r.Key).Should().BeEquivalentTo(problems.Split(' ').Append(success));
        if (successSchema is not null)
        {
            responses[success]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().Should().Be("#/components/schemas/" + successSchema);
        }

        foreach (var status in problems.Split(' '))
        {
            var schema = responses[status]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>();
            schema.Should().Be(status == "400" ? "#/components/schemas/HttpValidationProblemDetails" : "#/components/schemas/ProblemDetails");
        }
    }

    [Fact]
    public async Task Document_ListsNoOtherWebhookRoutes_AndDescribesSchemas()
    {
        var document = await DocumentAsync();

        var documented = document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/webhooks", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters").Select(o => o.Key + " " + p.Key));
        documented.Should().BeEquivalentTo(Operations.Select(o => (string)o[0] + " " + (string)o[1]));

        var schemas = document["components"]!["schemas"]!;
        schemas["WebhookSubscriptionCreateRequest"]!["properties"]!.AsObject().Select(p => p.Key)
            .Should().BeEquivalentTo("name", "url", "events", "description", "auth", "headers", "metadata", "filter", "payloadFilter", "rateLimit", "ordered", "active", "secret", "signatureScheme");
        schemas["WebhookSubscriptionResponse"]!["properties"]!.AsObject().Select(p => p.Key)
            .Should().Contain(["id", "name", "url", "events", "active", "secret", "auth", "version", "rateLimit", "ordered"]);
        schemas["WebhookSubscriptionUpdateRequest"]!["properties"]!.AsObject().Select(p => p.Key)
            .Should().Contain(["rateLimit", "ordered"]);
        var limit = document["paths"]!["/webhooks"]!["get"]!["parameters"]!.AsArray().Single(p => (string)p!["name"]! == "limit")!;
        limit["in"]!.GetValue<string>().Should().Be("query");
        limit["description"]!.GetValue<string>().Should().Contain("1 to 500");
        schemas["WebhookDeliveryResponse"]!["properties"]!.AsObject().Select(p => p.Key)
            .Should().Contain(["id", "messageId", "subscriptionId", "eventType", "status", "attemptCount"], "the owner-wide log says which subscription each delivery went to");
    }

    // path, parameter, JSON schema type
    public static TheoryData<string, string, string> TypedQueryParameters => new()
    {
        { "/webhooks", "limit", "integer" },
        { "/webhooks", "active", "boolean" },
        { "/webhooks", "cursor", "string" },
        { "/webhooks/{id}/deliveries", "limit", "integer" },
        { "/webhooks/deliveries", "limit", "integer" },
        { "/webhooks/deliveries", "status", "string" },
        { "/webhooks/deliveries", "eventType", "string" },
        { "/webhooks/deliveries", "subscription", "string" },
        { "/webhooks/stats", "window", "string" },
    };

    [Theory]
    [MemberData(nameof(TypedQueryParameters))]
    public async Task Document_QueryParameters_AreTypedAndDescribed(string path, string name, string type)
    {
        var document = await DocumentAsync();

        var parameter = document["paths"]![path]!["get"]!["parameters"]!.AsArray().Single(p => (string)p!["name"]! == name)!;

        parameter["in"]!.GetValue<string>().Should().Be("query");
        parameter["required"]?.GetValue<bool>().Should().BeFalse();
        parameter["schema"]!["type"]!.ToJsonString().Should().Contain('"' + type + '"');
        parameter["description"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
    }
}
