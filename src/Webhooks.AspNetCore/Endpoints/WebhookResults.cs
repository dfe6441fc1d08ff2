using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Webhooks.AspNetCore.Endpoints;

// The endpoints' outcomes as types that describe themselves to OpenAPI (IEndpointMetadataProvider),
// so a handler's Results<...> is its documentation and no Produces list can drift from it. The
// framework's Ok<T>/NotFound<T> would serialize with the app's JSON options and answer problems as
// application/json; these write with WebhooksApiJsonContext and as application/problem+json.

/// <summary>A JSON body written with the endpoints' own serializer context.</summary>
internal abstract class WebhookJsonResult<T> : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>, IContentTypeHttpResult
{
    private readonly JsonHttpResult<T> _inner;

    protected WebhookJsonResult(T value, JsonTypeInfo<T> typeInfo, int statusCode) =>
        _inner = TypedResults.Json(value, typeInfo, statusCode: statusCode);

    public T? Value => _inner.Value;

    object? IValueHttpResult.Value => _inner.Value;

    public int? StatusCode => _inner.StatusCode;

    public string? ContentType => _inner.ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => _inner.ExecuteAsync(httpContext);

    protected static void Describe(EndpointBuilder builder, int statusCode) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, typeof(T), ["application/json"]));
}

/// <summary>200 with a JSON body.</summary>
internal sealed class WebhookOk<T>(T value, JsonTypeInfo<T> typeInfo)
    : WebhookJsonResult<T>(value, typeInfo, StatusCodes.Status200OK), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status200OK);
}

/// <summary>201 with a JSON body (the handler sets Location).</summary>
internal sealed class WebhookCreated<T>(T value, JsonTypeInfo<T> typeInfo)
    : WebhookJsonResult<T>(value, typeInfo, StatusCodes.Status201Created), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status201Created);
}

/// <summary>202 with a JSON body.</summary>
internal sealed class WebhookAccepted<T>(T value, JsonTypeInfo<T> typeInfo)
    : WebhookJsonResult<T>(value, typeInfo, StatusCodes.Status202Accepted), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status202Accepted);
}

/// <summary>A ProblemDetails answer (application/problem+json) with a fixed status.</summary>
internal abstract class WebhookProblemResult(int statusCode, string title, string detail) : IResult, IStatusCodeHttpResult
{
    private readonly ProblemHttpResult _inner = TypedResults.Problem(statusCode: statusCode, title: title, detail: detail);

    public int? StatusCode => _inner.StatusCode;

    public ProblemDetails ProblemDetails => _inner.ProblemDetails;

    public Task ExecuteAsync(HttpContext httpContext) => _inner.ExecuteAsync(httpContext);

    protected static void Describe(EndpointBuilder builder, int statusCode) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, typeof(ProblemDetails), ["application/problem+json"]));
}

/// <summary>404: no such subscription or delivery for this caller (another owner's looks the same).</summary>
internal sealed class WebhookNotFound(string detail)
    : WebhookProblemResult(StatusCodes.Status404NotFound, "Not found.", detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status404NotFound);
}

/// <summary>409: the change conflicts with what is stored (a name taken, a delivery still pending).</summary>
internal sealed class WebhookConflict(string title, string detail)
    : WebhookProblemResult(StatusCodes.Status409Conflict, title, detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status409Conflict);
}

/// <summary>412: the subscription changed since the version sent in If-Match.</summary>
internal sealed class WebhookPreconditionFailed(string detail)
    : WebhookProblemResult(StatusCodes.Status412PreconditionFailed, "The subscription has changed.", detail), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status412PreconditionFailed);
}
