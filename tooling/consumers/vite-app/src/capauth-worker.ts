// The dedicated token worker: capauth's ready-made entry, bundled by Vite from `new Worker(new URL(...))`.
import "@capauth/browser/worker"
