using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Webhooks.Core.Publishing;

namespace Webhooks.Samples.Orders.Orders;

/// <summary>The orders API. Each change is published as a webhook event for the caller's owner, so only that owner's subscriptions receive it.</summary>
public static class OrderEndpoints
{
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly string[] Statuses = ["pending", "paid", "shipped", "delivered", "cancelled"];

    // Strict reading: unknown properties, numbers in strings and trailing commas are errors, answered 400.
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        AllowDuplicateProperties = false,
        MaxDepth = 16,
    };

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var orders = app.MapGroup("/orders").RequireAuthorization().WithTags("Orders");

        orders.MapPost("/", Create)
            .WithName("CreateOrder").WithSummary("Place an order (publishes order.created)")
            .Accepts<CreateOrderRequest>("application/json").ProducesValidationProblem().ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        orders.MapGet("/{id:int}", Get).WithName("GetOrder").WithSummary("Get an order").ProducesProblem(StatusCodes.Status404NotFound);
        orders.MapPut("/{id:int}", Update)
            .WithName("UpdateOrder").WithSummary("Change an order (publishes order.updated with the changed fields)")
            .Accepts<UpdateOrderRequest>("application/json").ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        orders.MapDelete("/{id:int}", Delete).WithName("DeleteOrder").WithSummary("Delete an order (publishes order.deleted)").ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Created<Order>, ValidationProblem, ProblemHttpResult>> Create(
        HttpContext context, OrderStore store, IWebhookPublisher publisher)
    {
        var (body, problem) = await ReadAsync<CreateOrderRequest>(context);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        CheckCustomer(errors, body!.Customer, required: true);
        var items = CheckItems(errors, body.Items, required: true);
        CheckNote(errors, body.Note);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var owner = Owner(context);
        var order = store.Add(owner, body.Customer!.Trim(), items!, string.IsNullOrEmpty(body.Note) ? null : body.Note);
        await publisher.PublishAsync(OrderEvents.Created, order, new WebhookPublishOptions { Owner = owner, OrderingKey = OrderingKey(order.Id) }, context.RequestAborted);
        return TypedResults.Created($"/orders/{order.Id}", order);
    }

    private static Results<Ok<Order>, ProblemHttpResult> Get(HttpContext context, OrderStore store, int id) =>
        store.Get(Owner(context), id) is { } order ? TypedResults.Ok(order) : NotFound(id);

    private static async Task<Results<Ok<Order>, ValidationProblem, ProblemHttpResult>> Update(
        HttpContext context, OrderStore store, IWebhookPublisher publisher, int id)
    {
        var (body, problem) = await ReadAsync<UpdateOrderRequest>(context);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        CheckCustomer(errors, body!.Customer, required: false);
        var items = CheckItems(errors, body.Items, required: false);
        CheckNote(errors, body.Note);
        if (body.Status is not null && !Statuses.Contains(body.Status))
        {
            errors["status"] = [$"status must be one of {string.Join(", ", Statuses)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var owner = Owner(context);
        var result = store.Update(owner, id, o => o with
        {
            Customer = body.Customer?.Trim() ?? o.Customer,
            Items = items ?? o.Items,
            Status = body.Status ?? o.Status,
            Note = body.Note is null ? o.Note : body.Note.Length == 0 ? null : body.Note,
        });
        if (result is not { } r)
        {
            return NotFound(id);
        }

        var changes = Diff(r.Before, r.After);
        if (changes.Count > 0)
        {
            await publisher.PublishAsync(OrderEvents.Updated, new OrderUpdated(id, changes), new WebhookPublishOptions { Owner = owner, OrderingKey = OrderingKey(id) }, context.RequestAborted);
        }

        return TypedResults.Ok(r.After);
    }

    // One order's events reach an ordered subscription one after another: created, its updates, deleted.
    private static string OrderingKey(int orderId) => "order-" + orderId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(HttpContext context, OrderStore store, IWebhookPublisher publisher, int id)
    {
        var owner = Owner(context);
        if (store.Remove(owner, id) is not { } before)
        {
            return NotFound(id);
        }

        await publisher.PublishAsync(OrderEvents.Deleted, before, new WebhookPublishOptions { Owner = owner, OrderingKey = OrderingKey(id) }, context.RequestAborted);
        return TypedResults.NoContent();
    }

    /// <summary>The fields that differ, each with its previous and current value as JSON.</summary>
    private static Dictionary<string, OrderChange> Diff(Order before, Order after)
    {
        var changes = new Dictionary<string, OrderChange>();
        void Compare<T>(string field, T previous, T current, bool equal)
        {
            if (!equal)
            {
                changes[field] = new OrderChange(JsonSerializer.SerializeToElement(previous, Strict), JsonSerializer.SerializeToElement(current, Strict));
            }
        }

        Compare("customer", before.Customer, after.Customer, before.Customer == after.Customer);
        Compare("items", before.Items, after.Items, before.Items.SequenceEqual(after.Items));
        Compare("status", before.Status, after.Status, before.Status == after.Status);
        Compare("note", before.Note, after.Note, before.Note == after.Note);
        return changes;
    }

    private static void CheckCustomer(Dictionary<string, string[]> errors, string? customer, bool required)
    {
        if (customer is null ? required : string.IsNullOrWhiteSpace(customer))
        {
            errors["customer"] = ["A customer is required."];
        }
        else if (customer is { Length: > 200 })
        {
            errors["customer"] = [$"The customer is {customer.Length} characters; the limit is 200."];
        }
    }

    private static List<OrderItem>? CheckItems(Dictionary<string, string[]> errors, IReadOnlyList<OrderItemRequest>? items, bool required)
    {
        if (items is null)
        {
            if (required)
            {
                errors["items"] = ["List at least one item."];
            }

            return null;
        }

        if (items.Count is 0 or > 100)
        {
            errors["items"] = ["An order holds 1 to 100 items."];
            return null;
        }

        var result = new List<OrderItem>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null)
            {
                errors[$"items[{i}]"] = ["An item must be an object with sku, quantity and unitPrice."];
                continue;
            }

            if (string.IsNullOrWhiteSpace(item.Sku) || item.Sku.Length > 64)
            {
                errors[$"items[{i}].sku"] = ["A sku of 1 to 64 characters is required."];
            }

            if (item.Quantity is not (>= 1 and <= 10_000))
            {
                errors[$"items[{i}].quantity"] = ["quantity must be a whole number from 1 to 10000."];
            }

            if (item.UnitPrice is not { } price || price < 0 || price > 1_000_000 || decimal.Round(price, 2) != price)
            {
                errors[$"items[{i}].unitPrice"] = ["unitPrice must be a number from 0 to 1000000 with at most 2 decimals."];
            }

            if (!errors.Keys.Any(k => k.StartsWith($"items[{i}]", StringComparison.Ordinal)))
            {
                result.Add(new OrderItem(item.Sku!.Trim(), item.Quantity!.Value, item.UnitPrice!.Value));
            }
        }

        return result;
    }

    private static void CheckNote(Dictionary<string, string[]> errors, string? note)
    {
        if (note is { Length: > 1000 })
        {
            errors["note"] = [$"The note is {note.Length} characters; the limit is 1000."];
        }
    }

    /// <summary>Reads a JSON body strictly; a bad one is a 400/413/415 ProblemDetails, never a 500.</summary>
    private static async Task<(T? Body, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        if (!request.HasJsonContentType())
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, detail: "Send a JSON body with 'Content-Type: application/json'."));
        }

        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBodyBytes)
                {
                    return (null, TooLarge());
                }
            }

            if (buffer.Length == 0)
            {
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A request body is required.", detail: "Send a JSON object."));
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (JsonException ex)
            {
                return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request body is not valid JSON.",
                    detail: $"Fix the JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}, and send one JSON object."));
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request body must be a JSON object."));
                }

                try
                {
                    return (document.RootElement.Deserialize<T>(Strict), null);
                }
                catch (JsonException ex)
                {
                    var field = (ex.Path ?? "$").TrimStart('$', '.');
                    var detail = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
                        ? $"'{field}' is not a known property; remove it."
                        : $"'{field}' has a value of the wrong JSON type.";
                    return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request body does not fit this endpoint.", detail: detail));
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
    }

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, detail: $"The body may be at most {MaxBodyBytes} bytes.");

    private static ProblemHttpResult NotFound(int id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No order {id} exists for this caller.");

    private static string Owner(HttpContext context) =>
        context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("An authenticated caller has an id claim.");
}
