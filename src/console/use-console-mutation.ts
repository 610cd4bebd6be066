import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { useNotify } from "./notifications.js";

interface Options<I extends DescMessage, O extends DescMessage> {
  /** What the call does, for the failure notification: "Creating the secret". */
  doing: string;
  /** The success notification. */
  success: (output: MessageShape<O>, input: MessageInitShape<I>) => string;
  onSuccess?: (output: MessageShape<O>) => void;
}

/**
 * Every change made in the console: a success or failure notification, and
 * every cached read refetched, since one change moves counts and lists on
 * several pages. The request (which may hold a value) is not kept in the
 * mutation cache once the call succeeded or its dialog is gone.
 */
export function useConsoleMutation<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, options: Options<I, O>) {
  const notify = useNotify();
  const queryClient = useQueryClient();
  const mutation = useMutation(method, {
    gcTime: 0,
    onSuccess: async (output, input) => {
      notify.success(options.success(output, input));
      options.onSuccess?.(output);
      queueMicrotask(() => mutation.reset());
      await queryClient.invalidateQueries();
    },
    onError: async (err) => {
      notify.error(err, options.doing);
      // Someone else changed or removed it: what is shown is out of date.
      if (err.code === Code.Aborted || err.code === Code.NotFound) await queryClient.invalidateQueries();
    },
  });
  return mutation;
}
