import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { reportError } from './state/actions';
import './styles/app.css';

// anything that escapes a view ends in the status bar, in words, never as a blank window
window.addEventListener('error', (event) => reportError(event.error ?? event.message, 'Unexpected error'));
window.addEventListener('unhandledrejection', (event) => reportError(event.reason, 'Unexpected error'));

const root = document.getElementById('root');
if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);
